"""`python -m dhdesk` runs the command line."""

from dhdesk.cli import main

raise SystemExit(main())
