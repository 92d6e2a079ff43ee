"""One module per `wxsync` verb. Each has `register(subparsers)` and a `run(args) -> int`."""
