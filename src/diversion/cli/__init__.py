"""Command line interface: ``diversion <command>``. See ``diversion --help``."""

# Importing a command module registers its commands on `app`.
from diversion.cli import (  # noqa: F401
    changes,
    demo,
    detect,
    flows,
    graph,
    ingest,
    report,
    resolve,
    run,
    serve,
    status,
)
from diversion.cli.app import app, main

__all__ = ["app", "main"]
