from wxsync.cli import main

raise SystemExit(main())
