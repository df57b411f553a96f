"""The command line's subcommands, one module per stage (`hepinggis.cli` is the one entry point).

- `_common`: the parser class, deprecated option names, the project-list options shared by
  ``import``, ``stats`` and ``build``, and ``--boundaries``;
- `plan`: ``layers``, ``check``, ``digitize``, ``adopt``;
- `data`: ``import``, ``export``, ``db``;
- `products`: ``stats``, ``build``, ``monitor``;
- `serve`: ``serve`` (the server's own commands are in `hepinggis.web._cli_server`).

Each command imports its stage inside its function: ``hepinggis --help`` and ``hepinggis CMD
--help`` then start in well under half a second (no geopandas, pandas or GDAL on the way).
"""
