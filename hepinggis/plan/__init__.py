"""The plan as layers: the catalogue, digitizing the layers from the outline and ``geodata/src``,
the independent anchors that test them, loading them (bundled or adopted), adopting a bureau's
own boundaries and checking everything against the plan's figures.

Public entry points are re-exported from `hepinggis` (`load`, `layers`, `check`, `adopt` …).
"""
