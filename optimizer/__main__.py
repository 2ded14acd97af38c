"""`python -m optimizer ...`: the `wfm` command line without the console script."""

from optimizer.cli import app

app()
