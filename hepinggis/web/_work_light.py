"""Small helpers shared by the server and the workers (no stage imports)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["summary"]


def summary(reg: dict[str, Any]) -> dict[str, Any]:
    """What the API answers for a register."""
    return {
        "id": reg["id"],
        "file_name": reg["file_name"],
        "sha256": reg["sha256"],
        "uploaded_at": reg["uploaded_at"],
        "uploader": reg["uploader"],
        "rows_in": reg["rows_in"],
        "imported": reg["imported"],
        "refused": reg["refused"],
        "warned": reg["warned"],
        "crs": reg["crs"],
        "per_zone": json.loads(reg["per_zone_json"]),
        "per_jiedao": json.loads(reg["per_jiedao_json"]),
    }
