"""``python -m checker``: the same as the ``lean-check`` command."""

from checker.cli import main

raise SystemExit(main())
