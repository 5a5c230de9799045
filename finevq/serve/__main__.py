"""`python -m finevq.serve`: the service without the `finevq` command, e.g. for the load test."""

import typer

from .cli import serve_command

if __name__ == "__main__":  # worker processes import this module under another name and must not serve
    typer.run(serve_command)
