"""``python -m blmk_health``: the same as the ``blmk-health`` command."""

import sys

from blmk_health.report._cli import main

if __name__ == "__main__":
    sys.exit(main())
