"""Entry of the frozen bundle: the same `backupdesk` command as the installed console script."""

import sys

from core.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
