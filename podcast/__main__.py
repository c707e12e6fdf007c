"""`python -m podcast` runs the command-line interface."""

from podcast.cli import main

main()
