"""`python -m nanowyki` is the `nanowyki` command."""

from nanowyki.cli import main

raise SystemExit(main())
