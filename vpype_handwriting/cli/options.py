"""The options several commands share, each declared once.

``handwrite`` runs inside vpype and takes them with vpype's own types (``vpype=True``), so
that ``%expressions%`` work there as everywhere in vpype; those types hand a plain click
command a deferred value instead of the value itself, so the ``vpype-handwriting``
commands take the same options with click's types.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import defaults

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

DEVICES = ["auto", "cpu", "cuda"]
UNKNOWN = ["error", "skip", "replace"]


def option_name(name: str) -> str:
    """The command-line spelling of an option the library names (``line_spacing``)."""
    return "--" + name.replace("_", "-")


def _kind(vpype: bool, name: str, plain: click.ParamType | type, *args: Any, **kw: Any) -> Any:
    """vpype_cli's type ``name`` (made with ``args``, ``kw``) inside vpype, ``plain`` out."""
    if not vpype:
        return plain
    import vpype_cli  # only inside vpype, which has imported it already

    return getattr(vpype_cli, name)(*args, **kw)


def _choice(choices: list[str], vpype: bool) -> click.ParamType:
    return _kind(vpype, "ChoiceType", click.Choice(choices), choices)


def weights_option(vpype: bool = False) -> Decorator:
    """``--weights``: a str with vpype's type, a :class:`~pathlib.Path` with click's."""
    return click.option(
        "--weights",
        type=_kind(vpype, "PathType", click.Path(exists=True, path_type=Path), exists=True),
        default=None,
        help="Model folder or .safetensors file (default: the shipped weights).",
    )


def bias_option(vpype: bool = False) -> Decorator:
    return click.option(
        "-b",
        "--bias",
        type=_kind(vpype, "FloatType", float),
        default=defaults.BIAS,
        help="Neatness from 0 to 10: 0 writes raw samples, higher is tidier "
        f"(default: {defaults.BIAS}).",
    )


def style_option(vpype: bool = False) -> Decorator:
    return click.option(
        "--style",
        type=_kind(vpype, "TextType", str),
        default=defaults.STYLE,
        help="Writer to imitate: a built-in number, a name added with "
        "'vpype-handwriting styles add', or 'none' for a hand of its own on each line "
        f"(default: {defaults.STYLE}).",
    )


def unknown_option(vpype: bool = False) -> Decorator:
    return click.option(
        "--unknown",
        type=_choice(UNKNOWN, vpype),
        default="error",
        help="Characters the model cannot write: fail, drop them or write a space "
        "(default: error).",
    )


def device_option(vpype: bool = False) -> Decorator:
    return click.option(
        "--device",
        type=_choice(DEVICES, vpype),
        default="auto",
        help="Where to run the network (default: auto).",
    )


def check_option() -> Decorator:
    """``--check/--no-check`` and ``--thorough``: flags, the same in vpype and out of it."""
    check = click.option(
        "--check/--no-check",
        default=True,
        help="Write each line twice side by side and keep the attempt the legibility "
        "checker shipped with the weights reads best (default: on).",
    )
    thorough = click.option(
        "--thorough",
        is_flag=True,
        help="With the checker: write again, up to 3 more times, every line it does not "
        "read clearly as its text (slower; reads best).",
    )
    return lambda f: check(thorough(f))


def data_option() -> Decorator:
    """``--data``: the prepared training data (training commands only)."""
    return click.option(
        "--data",
        "data_path",
        type=click.Path(path_type=Path),
        default=None,
        help="Prepared .npz from `prepare` (default: the user cache file).",
    )
