"""HTML escaping of user values, in a module of its own so that pages and popups can escape without
importing folium (`hepinggis build` computes its maps' inputs before it loads the map libraries)."""

from __future__ import annotations

import html

__all__ = ["esc"]


def esc(value: object) -> str:
    """HTML-escape any user value (None becomes an empty string).

    Examples
    --------
    >>> esc('<b title="x">') + esc(None)
    '&lt;b title=&quot;x&quot;&gt;'
    """
    return "" if value is None else html.escape(str(value), quote=True)
