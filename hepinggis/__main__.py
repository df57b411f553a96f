from hepinggis.cli import main

raise SystemExit(main())
