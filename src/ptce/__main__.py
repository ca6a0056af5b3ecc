"""`python -m ptce` runs the command line."""

from .cli import main

main()
