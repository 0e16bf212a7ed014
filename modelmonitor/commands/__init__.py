"""One module per CLI command: `register(subparsers)` adds the parser and sets `run(args) -> exit code`."""
