"""Analysis on the layers and on any project list: measuring on the ellipsoid or in EPSG:4550,
overlaps, projects per zone, along an axis or in the belt, apportioning, and points → zones at
scale. Every function takes GeoDataFrames and returns results aligned to their index; the
public ones are re-exported from `hepinggis`.
"""
