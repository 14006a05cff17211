"""The ``vpype-handwriting`` command group and what its commands share: one-line errors,
and the check for torch before training commands. The command modules register on
:data:`cli`; ``cli/__init__.py`` imports them all."""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import click


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log debugging detail.")
def cli(verbose: bool) -> None:
    """Train and inspect the handwriting model behind ``vpype handwrite``."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    logging.getLogger("vpype_handwriting").setLevel(logging.DEBUG if verbose else logging.INFO)


def fail(exc: Exception) -> NoReturn:
    """End the command with ``exc``'s message on one line (no traceback)."""
    raise click.ClickException(str(exc)) from None


def require_torch(command: str) -> None:
    """Training and evaluation need torch; writing does not (it is an optional extra)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise click.ClickException(
            f"{command} needs PyTorch: pip install 'vpype-handwriting[train]' "
            "(or 'pip install torch')"
        ) from None
