"""Command-line layer: the only part of the package that imports click and vpype_cli.

:data:`cli` is the ``vpype-handwriting`` group (``group.py``); importing this package
imports each command module, which registers its commands on the group, as vpype's
``vpype_cli/__init__.py`` does. ``handwrite.py`` holds the vpype command, which vpype
loads through its plug-in entry point.
"""

from __future__ import annotations

from . import checker_cli, inspect_cli, letters_cli, styles_cli, train_cli
from .group import cli

__all__ = ["checker_cli", "cli", "inspect_cli", "letters_cli", "styles_cli", "train_cli"]
