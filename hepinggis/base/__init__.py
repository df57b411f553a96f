"""The foundations every stage shares, below them all: measurement on the ellipsoid and in
EPSG:4550 (`measure`), coordinate reading (`coords`), the layer catalogue (`_catalogue`), the
map styles, colours and fonts (`_style`), the Chinese texts of layers and legends (`_texts`),
the credits of maps (`_credits`) and the QGIS styles of exports (`_qgis`).

A module here imports only other modules here and the top-level foundations
(`hepinggis.errors`, `hepinggis._paths`, `hepinggis._strict`, `hepinggis._workers`), never a
stage; tests/test_layering.py enforces it.
"""
