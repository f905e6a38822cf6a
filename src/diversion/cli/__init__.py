"""Command line interface: ``diversion <command>``. See ``diversion --help``."""

from diversion.cli import demo, detect, flows, graph, ingest, report, resolve, serve, status  # noqa: F401  (registers commands)
from diversion.cli.app import app, main

__all__ = ["app", "main"]
