"""Allow ``python -m m7amp``."""

from m7amp.cli import main

raise SystemExit(main())
