"""`hepinggis.io.postgis` under the top-level name it had before the stages became sub-packages.

``import hepinggis.postgis`` keeps working: every name, public or not, is the object of
`hepinggis.io.postgis` itself (module ``__getattr__``, PEP 562). New code imports `hepinggis.io.postgis`.
"""

from typing import Any

from hepinggis.io import postgis as _target
from hepinggis.io.postgis import *  # noqa: F403
from hepinggis.io.postgis import __all__ as __all__


def __getattr__(name: str) -> Any:
    return getattr(_target, name)
