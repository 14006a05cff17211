"""The shared types of a written line (a style's priming sample, the ink's calibration, a
sampled line) and what a line must look like: the checks that send it back to be written
again, and the trims of strokes that are not part of its text."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import strokes
from .config import ModelConfig


@dataclass
class Calibration:
    """Model units of the ink: x-height and average width of one character."""

    x_height: float
    char_width: float


@dataclass
class Prime:
    """A style sample: its pen offsets (n, 3) and its text, run through the net first."""

    offsets: np.ndarray
    text: str

    def inputs(self) -> np.ndarray:
        """What the net reads while primed: a zero start point, then the sample (n + 1, 3);
        its last row is the first input of the new text."""
        zero = np.zeros((1, 3), dtype=np.float32)
        return np.concatenate([zero, np.asarray(self.offsets, dtype=np.float32)])

    def calibration(self, config: ModelConfig) -> Calibration:
        """The sample's own x-height and character width (model units): a style writes at
        its own size. The weights' calibration when the sample has no letter to measure."""
        polylines = strokes.straighten(strokes.offsets_to_polylines(self.offsets))
        height = strokes.x_height(polylines)
        x0, _, x1, _ = strokes.bounds(polylines)
        width = (x1 - x0) / max(len(self.text), 1)
        if height <= 0:
            return Calibration(config.x_height, config.char_width)
        return Calibration(height, width)


@dataclass
class SampledLine:
    """One written line: offsets (n, 3), its text, attention weights and any failure."""

    text: str
    offsets: np.ndarray
    phi: np.ndarray  # (n, len(text) + 1) attention over the characters and END
    failure: str | None = None
    attempts: int = 1
    legibility: float | None = None  # the checker's CTC nats per character (lower: clearer)
    reading: str | None = None  # what the checker read
    misread: int = 0  # characters the checker's reading gets wrong (spaces aside)
    margin: float | None = None  # how surely the checker reads its weakest letter (nats)
    weakest: int = -1  # that letter's index in the text (-1: none judged)
    weak: bool = False  # that letter reads too unsurely (the checker's ``min_margin``)
    illegible: int = 0  # attempts the checker sent back (it did not read the text)
    sent_back: bool = False  # the checker sent this attempt back
    broken: int = 0  # attempts that failed :func:`check_line` (stuck, runaway, scribble)


#: A character the window stays on for more than this many characters' worth of points is
#: being scribbled over (IAM-OnDB's widest letters take about 2-3 times the mean).
STUCK = 4.5
#: Ink width per character, relative to the training data's median, that a line must keep.
WIDTH_RANGE = (0.4, 2.0)


#: Letters whose bar or dot writers often add after the rest of the word: a text ending in
#: one lets the line go on for them (``sampling.DELAYED_LIFTS``); without, a line-final
#: ``t`` was left uncrossed in 11 of 12 samples (``it`` read ``il``).
DELAYED = frozenset("tijxf")
#: A delayed bar or dot: at most this tall, in x-heights, and centred no further right of
#: the word's ink than :data:`MARK_RIGHT` x-heights.
MARK_HEIGHT, MARK_RIGHT = 0.6, 0.5


def trim_after_end(line: SampledLine, x_height: float = 0.0) -> SampledLine:
    """Drop trailing strokes drawn while the window was wholly past the text (on END).

    The stop rule waits for a pen lift with the window on END; a stroke started after the
    last character was finished is a stray mark, not part of the text, except, for a text
    ending in a letter of :data:`DELAYED` (with ``x_height`` known), the flat marks over
    the word that come first: a ``t``'s bar or an ``i``'s dot, kept up to the first stroke
    that is taller than :data:`MARK_HEIGHT` or lies right of the ink before it.
    """
    focus = line.phi.argmax(axis=1)
    ends = np.flatnonzero(line.offsets[:, 2] > 0.5)
    cut = len(line.offsets)
    for k in range(len(ends) - 1, 0, -1):  # never the first stroke
        start = ends[k - 1] + 1
        if np.all(focus[start : ends[k] + 1] >= len(line.text)):
            cut = start
        else:
            break
    if cut < len(line.offsets) and x_height > 0 and line.text[-1:] in DELAYED:
        cut = _keep_delayed_marks(line.offsets, cut, ends, x_height)
    if cut == len(line.offsets):
        return line
    return SampledLine(
        line.text, line.offsets[:cut], line.phi[:cut], line.failure, line.attempts
    )


def _keep_delayed_marks(
    offsets: np.ndarray, cut: int, ends: np.ndarray, x_height: float
) -> int:
    """Move ``cut`` past the trailing strokes that are delayed bars or dots (flat, not right
    of the ink written before them)."""
    points = np.cumsum(offsets[:, :2], axis=0)
    right = points[:cut, 0].max() + MARK_RIGHT * x_height
    for end in ends[ends >= cut]:
        stroke = points[cut : end + 1]
        if np.ptp(stroke[:, 1]) > MARK_HEIGHT * x_height or stroke[:, 0].mean() > right:
            break
        cut = end + 1
    return cut


#: Largest extent of the dot of a full stop, ? or !, in units of the ink's x-height.
DOT_SIZE = 0.2
#: ... and of a comma (dot and tail).
COMMA_SIZE = 0.8


def trim_after_final_stop(line: SampledLine, x_height: float) -> SampledLine:
    """Drop strokes drawn after the dot of the ``.``, ``?`` or ``!`` (or the ``,``) that
    ends a line.

    The window often still rests on the last character when the pen lifts after its dot,
    so the stop rule lets the net go on and add a stray mark (a hook, a second dot, a
    second ``?`` or ``,``) while it moves to END. The dot is the first stroke that the
    window spends mostly on the last character or END and that is no bigger than
    :data:`DOT_SIZE` (:data:`COMMA_SIZE` for a comma; for ``?`` and ``!``: after a bigger
    such stroke, their body); nothing of the text follows.
    """
    text = line.text
    if not text or text[-1] not in ".?!," or len(line.offsets) == 0:
        return line
    size = (COMMA_SIZE if text[-1] == "," else DOT_SIZE) * x_height
    last = len(text) - 1
    ends = np.flatnonzero(line.offsets[:, 2] > 0.5)
    points = np.cumsum(line.offsets[:, :2], axis=0)
    focus = line.phi.argmax(axis=1)
    body_seen = text[-1] in ".,"
    start = 0
    for end in ends[:-1]:  # the last stroke has nothing after it
        stroke = slice(start, end + 1)
        start = end + 1
        if np.bincount(focus[stroke], minlength=len(text) + 1).argmax() < last:
            continue
        if np.ptp(points[stroke], axis=0).max() > size:
            body_seen = True
        elif body_seen:
            cut = end + 1
            return SampledLine(
                text, line.offsets[:cut], line.phi[:cut], line.failure, line.attempts
            )
    return line


def check_line(line: SampledLine, config: ModelConfig, hit_limit: bool) -> str | None:
    """Why a sampled line looks broken, or None when it looks fine."""
    kappa_scale = config.kappa_scale
    n_chars = max(len(line.text), 1)
    if hit_limit:
        return "ran away (step limit reached before the text ended)"
    per_char = len(line.offsets) / n_chars
    if per_char < 0.35 * kappa_scale:
        return f"too few points for its text ({per_char:.1f} per character)"
    if per_char > 2.5 * kappa_scale:
        return f"too many points for its text ({per_char:.1f} per character)"
    if len(line.text.strip()) and line.phi.size:
        share = line.phi / np.maximum(line.phi.sum(axis=1, keepdims=True), 1e-9)
        seen = share.max(axis=0)[: len(line.text)]
        letters = np.array([not c.isspace() for c in line.text])
        skipped = np.flatnonzero((seen < 0.15) & letters)
        if len(skipped):
            return f"attention skipped character {skipped[0] + 1} ({line.text[skipped[0]]!r})"
        dwell = np.bincount(line.phi.argmax(axis=1), minlength=len(line.text) + 1)
        stuck = np.flatnonzero(dwell[: len(line.text)] > STUCK * kappa_scale)
        if len(stuck):
            u = stuck[0]
            return f"attention stuck on character {u + 1} ({line.text[u]!r}): scribble"
    points = np.cumsum(line.offsets[:, :2], axis=0)
    width = np.ptp(points[:, 0]) if len(points) else 0.0
    height = np.ptp(points[:, 1]) if len(points) else 0.0
    if height > 2.0 * width + 30:
        return "scribble (ink much taller than wide)"
    ratio = width / n_chars / config.char_width if config.char_width > 0 else 1.0
    if not WIDTH_RANGE[0] <= ratio <= WIDTH_RANGE[1]:  # human lines: 0.5-1.65 (0.1-99.9%)
        return f"{ratio:.1f}x as wide per character as the training ink"
    return None


def trim_prime_leftover(
    offsets: np.ndarray, phi: np.ndarray, lo: int
) -> tuple[np.ndarray, np.ndarray]:
    """Drop leading strokes drawn while the window was still inside the priming text
    (before the space that joins it to the new text)."""
    focus = phi.argmax(axis=1)
    ends = np.flatnonzero(offsets[:, 2] > 0.5)
    start = 0
    for end in ends[:-1]:  # never the last stroke
        if np.all(focus[start : end + 1] < lo - 1):
            start = end + 1
        else:
            break
    return offsets[start:], phi[start:]
