"""`python -m podcast` runs the command-line interface."""

import sys

try:
    from podcast.cli import main
except KeyboardInterrupt:  # Ctrl-C while starting: nothing had begun
    sys.exit(130)

main()
