"""Handwriting styles: priming samples, built-in writers and the user's own hand.

A style is a short handwritten line and its text, stored as JSON (``offsets`` as
``[dx, dy, eos]`` rows in model units, ``text``, ``source``). Built-in styles live in the
shipped ``weights/styles/`` folder as ``<n>.json``; the user's own in the user data folder.
Graves' priming runs the sample through the network before the new text is sampled, so the
network continues in that hand.

A damaged or degenerate style file breaks only itself: listings report it and skip it, and
asking for it by name says what is wrong with it. A sample of the user's own hand is made
from an SVG in :mod:`~vpype_handwriting.style_samples`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import defaults
from .files import write_atomic
from .lines import Prime
from .weights import shipped_weights

logger = logging.getLogger(__name__)

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")
#: Pen points of a style sample: each is a network step before the first line is written.
#: About 8 times the largest built-in style and 2.5 times a sample of MAX_STYLE_CHARS.
MAX_STYLE_POINTS = 4000
#: Fewer pen points than this are no handwriting to continue.
MIN_STYLE_POINTS = 10
#: Characters of a style's text: one line (the built-in styles have 22 to 40).
MAX_STYLE_CHARS = 120
#: Largest pen move of a sample, model units (~3 to an x-height): the built-in styles move
#: at most 26; more is a stray stroke far from the line.
MAX_STYLE_MOVE = 1000.0
#: Bytes of a style file: 256 a point holds any JSON layout of MAX_STYLE_POINTS rows.
MAX_STYLE_FILE_BYTES = 256 * MAX_STYLE_POINTS


class StyleError(ValueError):
    """A style cannot be found or its sample is unusable."""


@dataclass
class Style:
    name: str
    text: str
    offsets: np.ndarray
    source: str
    builtin: bool

    def prime(self) -> Prime:
        return Prime(self.offsets.astype(np.float32), self.text)

    def missing(self, alphabet: str) -> str:
        """The characters of the style's text that ``alphabet`` lacks, sorted."""
        return "".join(sorted({c for c in self.text if c not in alphabet}))


@dataclass(frozen=True)
class DamagedStyle:
    """A style file that cannot be used, and why."""

    name: str
    path: Path
    builtin: bool
    problem: str

    @property
    def fix(self) -> str:
        if self.builtin:
            return "reinstall vpype-handwriting"
        if not NAME.match(self.name):
            return f"rename or delete {self.path}"
        return f"remove it with `vpype-handwriting styles remove {self.name}`"

    def message(self) -> str:
        """One line: the file, what is wrong and the fix."""
        return f"style file {self.path} is damaged: {self.problem}; {self.fix}"


def one_line(exc: BaseException) -> str:
    """An exception's message on one line of at most 200 characters."""
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def builtin_dir() -> Path:
    return shipped_weights() / "styles"


def user_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("vpype-handwriting")) / "styles"


def check_name(name: str) -> None:
    """Raise a :class:`StyleError` unless ``name`` can name a user style."""
    if not NAME.match(name):  # also keeps names apart from the built-in numbers
        raise StyleError(
            f"style name {name!r} is not valid: use 1 to 40 letters, digits, - and _, "
            "starting with a letter"
        )
    if name.lower() == defaults.NO_STYLE:
        raise StyleError(f"style name {name!r} is reserved (it means: no style)")


def check_text(text: str) -> str:
    """The sample's text on one line (spaces collapsed), or a :class:`StyleError`."""
    text = " ".join(text.split())
    if not text:
        raise StyleError("the sample's text is empty: say what the handwriting reads")
    if len(text) > MAX_STYLE_CHARS:
        raise StyleError(
            f"the sample's text has {len(text)} characters, more than {MAX_STYLE_CHARS}: "
            f"write a shorter sample: one line of at most {MAX_STYLE_CHARS} characters"
        )
    return text


def check_sample(text: str, offsets: np.ndarray) -> None:
    """Raise a :class:`StyleError` naming what makes ``offsets`` no usable sample of
    ``text``: its shape, its size, numbers that are not finite, pen lifts other than 0 and
    1, a stray far move, or no ink at all."""
    check_text(text)
    shape = np.shape(offsets)
    if np.size(offsets) == 0:
        raise StyleError("the sample has no pen points")
    if len(shape) != 2 or shape[1] != 3:
        raise StyleError(f"the offsets are not rows of [dx, dy, pen lift]: shape {shape}")
    if len(offsets) < MIN_STYLE_POINTS:
        raise StyleError(
            f"the sample has {len(offsets)} pen points, fewer than {MIN_STYLE_POINTS}: "
            "write at least a few words"
        )
    if len(offsets) > MAX_STYLE_POINTS:
        raise StyleError(
            f"the sample has {len(offsets):,} pen points, more than {MAX_STYLE_POINTS:,}: "
            f"write a shorter sample: one line of at most {MAX_STYLE_CHARS} characters"
        )
    offsets = np.asarray(offsets, dtype=np.float64)
    if not np.isfinite(offsets).all():
        raise StyleError("the sample has pen moves that are NaN or infinite")
    if not np.isin(offsets[:, 2], (0.0, 1.0)).all():
        raise StyleError("the sample's pen lifts (third column) are not all 0 or 1")
    move = float(np.abs(offsets[:, :2]).max())
    if move > MAX_STYLE_MOVE:
        raise StyleError(
            f"the sample has a pen move of {move:.0f} units, more than {MAX_STYLE_MOVE:.0f}: "
            "is there a stray stroke far from the line?"
        )
    if move == 0:
        raise StyleError("the sample has no ink: every pen move is zero")


def _read(path: Path, builtin: bool) -> Style:
    """The style in ``path``, or a :class:`StyleError` saying what is wrong with it."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_STYLE_FILE_BYTES + 1)
        if len(raw) > MAX_STYLE_FILE_BYTES:
            raise StyleError(f"larger than {MAX_STYLE_FILE_BYTES:,} bytes")
        doc = json.loads(raw.decode("utf-8"))
    except StyleError:
        raise
    except (OSError, ValueError, RecursionError) as exc:
        raise StyleError(one_line(exc)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
        raise StyleError('not a JSON object with a "text"')
    if "offsets" not in doc:
        raise StyleError('it has no "offsets"')
    try:
        offsets = np.asarray(doc["offsets"], dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        raise StyleError("the offsets are not a table of numbers") from None
    check_sample(doc["text"], offsets)
    source = str(doc.get("source", ""))[:200]
    return Style(path.stem, doc["text"], offsets.astype(np.float32), source, builtin)


def _files() -> list[tuple[Path, bool]]:
    """The style files: built-in ones (by number), then the user's (by name)."""
    found = []
    for folder, builtin in ((builtin_dir(), True), (user_dir(), False)):
        if folder.is_dir():
            files = sorted(
                (p for p in folder.glob("*.json") if p.is_file()),
                key=lambda p: (
                    not p.stem.isdigit(),
                    int(p.stem) if p.stem.isdigit() else 0,
                    p.stem,
                ),
            )
            found += [(p, builtin) for p in files]
    return found


def _load(path: Path, builtin: bool) -> Style | DamagedStyle:
    if not builtin and not NAME.match(path.stem):
        return DamagedStyle(path.stem, path, builtin, "its file name is no style name")
    try:
        return _read(path, builtin)
    except StyleError as exc:
        return DamagedStyle(path.stem, path, builtin, str(exc))


def scan_styles() -> tuple[list[Style], list[DamagedStyle]]:
    """Every style, built-in (by number) then the user's (by name), and the damaged ones."""
    loaded = [_load(path, builtin) for path, builtin in _files()]
    return (
        [s for s in loaded if isinstance(s, Style)],
        [s for s in loaded if isinstance(s, DamagedStyle)],
    )


def list_styles() -> list[Style]:
    """The usable styles, built-in (by number) then the user's (by name); each damaged
    style file is skipped with a warning."""
    found, damaged = scan_styles()
    for bad in damaged:
        logger.warning("%s", bad.message())
    return found


def find_style(name: str) -> Style:
    """The style called ``name`` (only its file is read), or a :class:`StyleError` saying
    that there is none or what is wrong with it."""
    for path, builtin in _files():
        if path.stem == name:
            style = _load(path, builtin)
            if isinstance(style, DamagedStyle):
                raise StyleError(f"style {name!r} cannot be used: {style.message()}")
            return style
    names = ", ".join(s.name for s in scan_styles()[0]) or "none installed"
    raise StyleError(f"no style named {name!r} (available: {names})")


def load_style(name: str, alphabet: str) -> Prime | None:
    """The priming sample of a style, checked against the model's alphabet; None for
    ``none`` (no priming: each line in a hand of its own)."""
    if name.lower() == defaults.NO_STYLE:
        return None
    style = find_style(name)
    bad = style.missing(alphabet)
    if bad:
        raise StyleError(f"style {name!r} uses characters the model lacks: {bad!r}")
    return style.prime()


def user_style_path(name: str, overwrite: bool = False) -> Path:
    """Where the user style ``name`` goes; a :class:`StyleError` for a name that is not
    valid, or taken (unless ``overwrite``)."""
    check_name(name)
    path = user_dir() / f"{name}.json"
    if path.exists() and not overwrite:
        raise StyleError(f"a style named {name!r} exists already (use --overwrite to replace)")
    return path


def save_user_style(
    name: str, text: str, offsets: np.ndarray, source: str, overwrite: bool = False
) -> Path:
    """Store a style in the user data folder (atomically; never over one without asking)."""
    path = user_style_path(name, overwrite)
    check_sample(text, offsets)
    doc = {
        "text": text,
        "source": source,
        "offsets": [[round(float(v), 3) for v in row] for row in offsets],
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda tmp: tmp.write_text(json.dumps(doc), encoding="utf-8"))
    except OSError as exc:
        raise StyleError(
            f"cannot write the style file {path}: {exc.strerror or exc}"
        ) from None
    return path


def remove_user_style(name: str) -> Path:
    """Delete the user style ``name``: only ever a file directly in :func:`user_dir`."""
    check_name(name)
    folder = user_dir().resolve()
    path = folder / f"{name}.json"
    if not path.is_file():
        raise StyleError(f"you have no style named {name!r} (see: vpype-handwriting styles)")
    if path.resolve().parent != folder:
        raise StyleError(f"{path} leads out of the styles folder: delete it yourself")
    try:
        path.unlink()
    except OSError as exc:
        raise StyleError(f"cannot remove {path}: {exc.strerror or exc}") from None
    return path
