"""Domain exceptions: every error hepinggis raises on purpose derives from `HepingGISError` and
from the built-in exception it resembles (``ValueError`` for bad content or options, ``OSError``
for files that cannot be read or written, ``KeyError`` for unknown names, ``PermissionError`` for
what is refused), so that callers may catch either. Every exception class of the package is
defined here (tests/test_errors_defined.py); the modules that raise them re-import them, so the
old import locations keep working.

`Terminated` is the one exception: it is a ``SystemExit`` so that ``except Exception`` in cleanup
code cannot swallow a stop signal.
"""

from __future__ import annotations

__all__ = [
    "AccountError",
    "AdoptError",
    "AuditChainError",
    "BadUpload",
    "CRSMismatchError",
    "CoordinateError",
    "DbfEncodingError",
    "DigitizeError",
    "EmptyLayerError",
    "ExportError",
    "FileLimitError",
    "GeographicCRSError",
    "HepingGISError",
    "ImportFileError",
    "InstalledPackageError",
    "InvalidGeometryError",
    "InvalidOptionError",
    "JobLimitError",
    "JobMemoryError",
    "JobTimeError",
    "LayerCRSError",
    "LayerFileError",
    "LayerSchemaError",
    "LoginRefused",
    "MissingExtraError",
    "NoFiguresError",
    "PackageConflict",
    "StoreBackupError",
    "Terminated",
    "UnknownIdError",
    "UnknownLayerError",
    "UploadTooLarge",
    "UsageError",
]


class HepingGISError(Exception):
    """Base class of every hepinggis error."""

    #: Every problem found, where a check collects them all before raising (its message may list
    #: only the first ones).
    problems: tuple[str, ...] = ()


class InvalidOptionError(HepingGISError, ValueError):
    """An option value out of its range (a negative distance, an unknown mode)."""


class UnknownLayerError(HepingGISError, KeyError):
    """A layer name that is not in the catalogue."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class LayerFileError(HepingGISError, OSError):
    """A layer file that is missing or cannot be read as GeoJSON."""


class LayerSchemaError(HepingGISError, ValueError):
    """A layer whose fields, ids or geometry types break the catalogue's schema."""


class LayerCRSError(HepingGISError, ValueError):
    """A layer or input whose coordinate reference system is missing or not the one required."""


class InvalidGeometryError(HepingGISError, ValueError):
    """A feature whose geometry is empty or not valid (OGC rules)."""


class InstalledPackageError(HepingGISError, PermissionError):
    """A command would rewrite the layers inside an installed package instead of a checkout."""


class DigitizeError(HepingGISError, ValueError):
    """The digitizing sources do not produce a clean partition of the district."""


class CRSMismatchError(LayerCRSError):
    """Two layers combined in one operation are in different CRSs."""


class GeographicCRSError(LayerCRSError):
    """A planar measure (area, length, distance) asked of lon/lat degrees."""


class EmptyLayerError(LayerSchemaError):
    """A layer with no features where features are needed."""


class UnknownIdError(LayerSchemaError, KeyError):
    """An id that is not in the layer."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Terminated(SystemExit):
    """SIGTERM arrived while worker processes ran (raised by `hepinggis._workers.worker_pool`'s
    handler, so that the workers are killed and the caller's cleanup runs; exit status 143)."""


class ImportFileError(HepingGISError, ValueError):
    """A project file that cannot be read at all (format, encoding, sheet, CRS, unit)."""


class DbfEncodingError(HepingGISError, ValueError):
    """A Shapefile's attribute table (.dbf) whose records decode in none of the encodings tried."""


class NoFiguresError(HepingGISError, ValueError):
    """A monitoring figures file from which not one figure was read (header only, all blank)."""


class AccountError(HepingGISError, ValueError):
    """A user account that cannot be created or changed as asked (bad name, role or password)."""


class StoreBackupError(HepingGISError, ValueError):
    """A store dump that cannot be written or restored (bad archive, store not empty)."""


class UsageError(HepingGISError, ValueError):
    """A command-line option that cannot be used as given (exit code 2)."""


class AdoptError(HepingGISError, ValueError):
    """A file that cannot be adopted: names that do not match, a missing CRS, broken geometry.
    ``str()`` names command-line options; ``page_text`` the same message naming the 边界 page's
    controls (empty where it names none)."""

    page_text: str = ""


class CoordinateError(HepingGISError, ValueError):
    """A coordinate system that is unknown, or coordinates that do not fit the one declared."""


class ExportError(HepingGISError, OSError):
    """An export that could not be written, or whose read-back differs from what was meant."""


class BadUpload(HepingGISError, ValueError):
    """An upload refused for its type or content (HTTP 400 or 415)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class UploadTooLarge(HepingGISError, ValueError):
    """An upload above ``--max-upload`` (HTTP 413)."""


class LoginRefused(HepingGISError, PermissionError):
    """A login that is refused: ``status`` (401 or 429), a Chinese message, and the audit reason."""

    def __init__(self, status: int, message: str, reason: str, *, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.retry_after = retry_after


class MissingExtraError(HepingGISError, ImportError):
    """An optional part of hepinggis (an extra such as ``[server]``) is not installed."""


class PackageConflict(HepingGISError, RuntimeError):
    """A package that cannot be built or signed now: it is signed already, or being built (HTTP 409)."""


class FileLimitError(ImportFileError):
    """A user file refused before it is parsed: its declared size, dimension, cell or column counts
    are above the limits (`hepinggis.io._limits`), so reading it could exhaust the machine."""


class AuditChainError(HepingGISError, ValueError):
    """An audit trail or a store dump whose keyed hashes do not match: rows or files were changed."""


class JobLimitError(HepingGISError, RuntimeError):
    """A background job of the web app stopped at its worker's memory or time limit (the worker
    is replaced by a warm one; nothing the job would have stored was written)."""


class JobMemoryError(JobLimitError):
    """A job that needed more memory than its worker's cap (``RLIMIT_AS``)."""


class JobTimeError(JobLimitError):
    """A job that ran past its time limit."""
