"""``python -m modelwire``: the command line."""

from modelwire.cli import main

raise SystemExit(main())
