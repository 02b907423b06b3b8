"""``python -m distlab``: the same as the ``distlab`` command."""

from distlab.cli import main

raise SystemExit(main())
