"""`python -m formservice.cli`: the same as the `formservice` command."""

from formservice.cli import main

main()
