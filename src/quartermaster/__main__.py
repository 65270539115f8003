"""`python -m quartermaster` is `qm`."""

from quartermaster.cli import app

app()
