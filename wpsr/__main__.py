"""``python -m wpsr``: the command line."""

import sys

from wpsr.cli import main

sys.exit(main())
