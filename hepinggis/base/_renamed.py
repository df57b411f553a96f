"""Renamed keywords and functions, kept one release as deprecated aliases.

A keyword renamed for clarity (issue 38: ``layers`` meant the catalogue, a GeoPackage of adopted
boundaries and a list of layer names) keeps working for one release: the old name gives a
`FutureWarning` naming the new one (shown to script users by default, as pandas does), and
passing both is a `TypeError`, as Python does for a keyword given twice.

>>> @renamed(frame="features")
... def area(features):
...     return features
>>> import warnings
>>> with warnings.catch_warnings(record=True) as seen:
...     warnings.simplefilter("always")
...     area(frame=3)
3
>>> str(seen[0].message)
'area(frame=...) is deprecated: use area(features=...)'
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["renamed", "renamed_function"]

P = ParamSpec("P")
R = TypeVar("R")


def renamed(**old_to_new: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Accept each old keyword ``old=`` as its new name, with a `FutureWarning` naming the new one.

    Parameters
    ----------
    **old_to_new : str
        ``old="new"`` for each renamed keyword of the decorated function.

    Returns
    -------
    callable
        A decorator; the decorated function keeps its signature (``inspect.signature`` shows the
        new names only).
    """

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        name = getattr(func, "__name__", "function")

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for old, new in old_to_new.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(f"{name}() got both {old}= (deprecated) and {new}=; pass {new}= only")
                warnings.warn(f"{name}({old}=...) is deprecated: use {name}({new}=...)", FutureWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        wrapper.__renamed__ = dict(old_to_new)  # type: ignore[attr-defined]  # read by the tests
        return wrapper

    return decorate


def renamed_function(func: Callable[P, R], old: str) -> Callable[P, R]:
    """``func`` under its old name ``old``: each call gives a `FutureWarning` naming the new one.

    Parameters
    ----------
    func : callable
        The function under its new name.
    old : str
        The old name.

    Returns
    -------
    callable
        A function that warns, then calls ``func`` with the same arguments.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        warnings.warn(f"{old}() is deprecated: use {func.__name__}()", FutureWarning, stacklevel=2)
        return func(*args, **kwargs)

    wrapper.__name__ = old
    wrapper.__qualname__ = old
    wrapper.__doc__ = f"Deprecated name of `{func.__name__}`: kept one release, each call warns."
    return wrapper
