"""``python -m delphi.stats analyse RATINGS.csv --scale 1-5``."""
from delphi.stats.cli import main

raise SystemExit(main())
