"""The layer catalogue (``geodata/layers.json``) as typed objects."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from hepinggis._paths import data_dir

__all__ = ["FieldSpec", "LayerSpec", "catalogue"]


@dataclass(frozen=True)
class FieldSpec:
    """One attribute of a layer: its name, Python type name and whether it may be null."""

    name: str
    type: str  # "str", "float" or "int"
    nullable: bool

    @classmethod
    def parse(cls, name: str, text: str) -> FieldSpec:
        nullable = text.endswith("?")
        kind = text.rstrip("?")
        if kind not in {"str", "float", "int"}:
            raise ValueError(f"layers.json: field {name!r} has unknown type {text!r}")
        return cls(name, kind, nullable)


@dataclass(frozen=True)
class LayerSpec:
    """A catalogued layer: where its file is and what each feature must carry."""

    name: str
    file: str
    title_zh: str
    title_en: str
    geometry_types: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ids: tuple[str, ...] | None = None

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def _parse(raw: dict[str, object]) -> dict[str, LayerSpec]:
    common = raw["common_fields"]
    layers = raw["layers"]
    assert isinstance(common, dict) and isinstance(layers, dict)
    out: dict[str, LayerSpec] = {}
    for name, entry in layers.items():
        specs = {**common, **entry.get("fields", {})}
        out[name] = LayerSpec(
            name=name,
            file=entry["file"],
            title_zh=entry["title_zh"],
            title_en=entry["title_en"],
            geometry_types=tuple(entry["geometry_types"]),
            fields=tuple(FieldSpec.parse(k, v) for k, v in specs.items()),
            enums={k: tuple(v) for k, v in entry.get("enums", {}).items()},
            ids=tuple(entry["ids"]) if "ids" in entry else None,
        )
    return out


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, LayerSpec]:
    with path.open(encoding="utf-8") as fh:
        return _parse(json.load(fh))


def catalogue(folder: Path | None = None) -> dict[str, LayerSpec]:
    """Return the layer specs of ``folder``'s ``layers.json`` (the bundled data by default)."""
    return _load((folder or data_dir()) / "layers.json")
