"""Domain exceptions: every error hepinggis raises on purpose derives from `HepingGISError`."""

from __future__ import annotations

__all__ = [
    "DbfEncodingError",
    "DigitizeError",
    "HepingGISError",
    "ImportFileError",
    "InstalledPackageError",
    "InvalidGeometryError",
    "InvalidOptionError",
    "LayerCRSError",
    "LayerFileError",
    "LayerSchemaError",
    "NoFiguresError",
    "Terminated",
    "UnknownLayerError",
]


class HepingGISError(Exception):
    """Base class of every hepinggis error."""


class InvalidOptionError(HepingGISError, ValueError):
    """An option value out of its range (a negative distance, an unknown mode)."""


class UnknownLayerError(HepingGISError, KeyError):
    """A layer name that is not in the catalogue."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class LayerFileError(HepingGISError):
    """A layer file that is missing or cannot be read as GeoJSON."""


class LayerSchemaError(HepingGISError):
    """A layer whose fields, ids or geometry types break the catalogue's schema."""


class LayerCRSError(HepingGISError):
    """A layer or input whose coordinate reference system is missing or not the one required."""


class InvalidGeometryError(HepingGISError):
    """A feature whose geometry is empty or not valid (OGC rules)."""


class InstalledPackageError(HepingGISError, PermissionError):
    """A command would rewrite the layers inside an installed package instead of a checkout."""


class DigitizeError(HepingGISError):
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


class ImportFileError(HepingGISError):
    """A project file that cannot be read at all (format, encoding, sheet, CRS, unit)."""


class DbfEncodingError(HepingGISError, ValueError):
    """A Shapefile's attribute table (.dbf) whose records decode in none of the encodings tried."""


class NoFiguresError(HepingGISError, ValueError):
    """A monitoring figures file from which not one figure was read (header only, all blank)."""


class AccountError(HepingGISError, ValueError):
    """A user account that cannot be created or changed as asked (bad name, role or password)."""


class StoreBackupError(HepingGISError):
    """A store dump that cannot be written or restored (bad archive, store not empty)."""
