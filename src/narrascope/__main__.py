"""`python -m narrascope` runs the command line."""

from narrascope.cli import app

app()
