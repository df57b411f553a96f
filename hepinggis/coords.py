"""`hepinggis.base.coords` under the top-level name it had before the stages became sub-packages.

``import hepinggis.coords`` keeps working: every name, public or not, is the object of
`hepinggis.base.coords` itself (module ``__getattr__``, PEP 562). New code imports `hepinggis.base.coords`.
"""

from typing import Any

from hepinggis.base import coords as _target
from hepinggis.base.coords import *  # noqa: F403
from hepinggis.base.coords import __all__ as __all__


def __getattr__(name: str) -> Any:
    return getattr(_target, name)
