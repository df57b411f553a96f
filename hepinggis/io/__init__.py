"""Data in and out: reading the project lists planners have (CSV/XLSX/GIS, any encoding and CRS,
row by row), coordinates (GCJ-02, BD-09, CGCS2000), exports (GeoPackage, Shapefile, KML, XLSX,
CSV), PostGIS, spreadsheets that never hold formulas, and writing folders atomically.
"""
