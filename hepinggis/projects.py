"""`hepinggis.analysis.projects` under the top-level name it had before the stages became sub-packages.

``import hepinggis.projects`` keeps working: every name, public or not, is the object of
`hepinggis.analysis.projects` itself (module ``__getattr__``, PEP 562). New code imports `hepinggis.analysis.projects`.
"""

from typing import Any

from hepinggis.analysis import projects as _target
from hepinggis.analysis.projects import *  # noqa: F403
from hepinggis.analysis.projects import __all__ as __all__


def __getattr__(name: str) -> Any:
    return getattr(_target, name)
