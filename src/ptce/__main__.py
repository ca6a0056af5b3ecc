"""`python -m ptce` runs the command line."""

from ptce.cli import main

main()
