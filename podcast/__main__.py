"""`python -m podcast` runs the command-line interface."""

from .cli import main

main()
