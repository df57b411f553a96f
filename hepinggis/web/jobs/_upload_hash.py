"""The sha256 of a multipart upload's ``file`` part, computed while the app reads the body (for
the audit trail), so that no endpoint has to be changed to record what it received."""

from __future__ import annotations

import hashlib
from typing import Any

from python_multipart.multipart import MultipartParser, parse_options_header

__all__ = ["PartHasher"]


class PartHasher:
    """Feed raw body chunks; ``digest`` is the sha256 of the part named ``field`` ('' if none)."""

    def __init__(self, content_type: str, *, field: str = "file") -> None:
        self.field = field
        self._hash: Any = None
        self._done = ""
        self._name = b""
        self._header_field = b""
        self._header_value = b""
        self._in_target = False
        self.filename = ""
        ctype, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        self._parser = (
            MultipartParser(
                boundary,
                callbacks={
                    "on_part_begin": self._part_begin,
                    "on_part_data": self._part_data,
                    "on_part_end": self._part_end,
                    "on_header_field": self._hfield,
                    "on_header_value": self._hvalue,
                    "on_header_end": self._hend,
                    "on_headers_finished": self._hdone,
                },
            )
            if ctype == b"multipart/form-data" and boundary
            else None
        )

    def _part_begin(self) -> None:
        self._name, self._in_target = b"", False

    def _hfield(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _hvalue(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _hend(self) -> None:
        if self._header_field.lower() == b"content-disposition":
            _, params = parse_options_header(self._header_value)
            self._name = params.get(b"name", b"")
            if self._name == self.field.encode() and not self.filename:
                self.filename = params.get(b"filename", b"").decode("utf-8", "replace")[:255]
        self._header_field, self._header_value = b"", b""

    def _hdone(self) -> None:
        self._in_target = self._name == self.field.encode() and not self._done
        if self._in_target:
            self._hash = hashlib.sha256()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_target:
            self._hash.update(data[start:end])

    def _part_end(self) -> None:
        if self._in_target:
            self._done = self._hash.hexdigest()
            self._in_target = False

    def feed(self, chunk: bytes) -> None:
        """Parse one more chunk of the body; a malformed body just yields no digest."""
        if self._parser is None or not chunk:
            return
        try:
            self._parser.write(chunk)
        except Exception:  # the app itself refuses a malformed body; the audit then has no hash
            self._parser = None

    @property
    def digest(self) -> str:
        """The part's sha256 in hex, or '' when it was not (completely) received."""
        return self._done
