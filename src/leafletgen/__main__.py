"""``python -m leafletgen``: the command line."""

import sys

from leafletgen.cli import main

sys.exit(main())
