"""Text → placed lines of ink: paragraphs, wrapping by measured width, alignment, spacing.

``--size`` is the x-height: the height of lowercase letters such as ``x`` or ``o``, as a
person would measure it with a ruler. Lines sit ``PITCH`` × size × line-spacing apart
(baseline to baseline), about the proportions of handwriting on ruled paper. The position is
the start of the first baseline; with ``--wrap`` the lines are aligned inside the box
``[x, x + wrap]``, without it around ``x`` (as vpype's ``text`` does).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import limits, strokes
from .lines import Calibration, SampledLine

logger = logging.getLogger(__name__)

PITCH = 3.2  # baseline-to-baseline distance in x-heights at line spacing 1 (8 mm at 2.5 mm)
MAX_CHARS = 56  # longest line the model writes in one go (IAM-OnDB lines reach 64)
WRAP_PASSES = 4
#: The first pass wraps with the median ink width per character times this, so that few
#: lines come out too wide and need a second sampling pass (one whole batch's time).
FIRST_PASS_MARGIN = 1.08
#: A line at most this much wider than --wrap is shrunk to fit (invisible at 4 %) instead of
#: re-wrapped and sampled again.
SHRINK_TOLERANCE = 1.04
#: When the first pass's ink is narrower than its estimate by more than this (the net writes
#: narrower than the calibration said, as without a style), the paragraphs are wrapped again
#: with the width measured on that ink and sampled again, so that lines fill --wrap.
NARROW_TOLERANCE = 1.15


class LayoutError(ValueError):
    """The text cannot be laid out as asked (e.g. a size or width that cannot work)."""


@dataclass
class LayoutOptions:
    size: float  # x-height, in the caller's units (vpype: CSS pixels)
    wrap: float | None = None
    align: str = "left"
    justify: bool = False
    position: tuple[float, float] = (0.0, 0.0)
    line_spacing: float = 1.0
    smooth: int = 2


@dataclass
class WrittenLine:
    """A written line's text and ink in the caller's units (baseline y = 0 before placing)."""

    text: str
    polylines: list[np.ndarray]
    words: list[int]  # word index of each polyline (for justification)
    baseline: float = 0.0  # y of the baseline once placed

    @property
    def width(self) -> float:
        return max(float(p[:, 0].max()) for p in self.polylines) if self.polylines else 0.0


Sampler = Callable[[Sequence[str]], list[SampledLine]]


def split_long(words: list[str], max_chars: int) -> list[str]:
    """Greedy word wrap by character count (for lines the model cannot hold in one go)."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= max_chars:
            lines[-1] += " " + word
        else:
            while len(word) > max_chars:  # a single word longer than a line: hyphenate
                lines.append(word[: max_chars - 1] + "-")
                word = word[max_chars - 1 :]
            lines.append(word)
    return lines


def wrap_words(words: list[str], width: float, char_width: float, max_chars: int) -> list[str]:
    """Greedy wrap using an estimated width per character, never past ``max_chars``."""
    limit = max(1, min(max_chars, int(width / max(char_width, 1e-9))))
    return split_long(words, limit)


def word_of_strokes(line: SampledLine, polylines: list[np.ndarray]) -> list[int]:
    """Which word each stroke belongs to, from where the attention was as it was drawn."""
    spaces = np.cumsum([c == " " for c in line.text + " "])
    words = []
    start = 0
    focus = line.phi.argmax(axis=1) if line.phi.size else np.zeros(len(line.offsets), int)
    for poly in polylines:
        seg = focus[start : start + len(poly)]
        start += len(poly)
        char = int(np.median(seg)) if len(seg) else 0
        words.append(int(spaces[min(char, len(spaces) - 1)]))
    return words


def shape_line(line: SampledLine, smooth_iterations: int) -> WrittenLine:
    """Sampled offsets → smoothed polylines with the baseline straightened to y = 0, still
    in model units, with the word of each stroke."""
    polylines = strokes.offsets_to_polylines(line.offsets)
    words = word_of_strokes(line, polylines)
    polylines = [strokes.smooth(p, smooth_iterations) for p in polylines]
    polylines = strokes.straighten(polylines)  # on the smoothed ink: the baseline as drawn
    return WrittenLine(line.text, polylines, words)


def ink_line(shaped: WrittenLine, scale: float, size: float) -> WrittenLine:
    """A shaped line in caller units, left x = 0.

    Points closer than 2% of the x-height are merged (no hairline jitter for the plotter),
    dots get a mark of 8% of the x-height, and points within 1% of the x-height of the
    simplified curve are dropped.
    """
    polylines = [p * scale for p in shaped.polylines]
    polylines = strokes.mark_dots(strokes.drop_jitter(polylines, 0.02 * size), 0.08 * size)
    polylines = strokes.simplify(polylines, 0.01 * size)
    if polylines:
        left = min(float(p[:, 0].min()) for p in polylines)
        polylines = [p - [left, 0.0] for p in polylines]
    return WrittenLine(shaped.text, polylines, shaped.words)


#: Lowercase letters and letter tops a request needs before the x-height measured on its
#: own ink sets the size (capitals and digits alone would be measured as x-height).
MIN_LOWERCASE, MIN_TOPS = 4, 6


def written_x_height(shaped: Sequence[WrittenLine], fallback: float) -> float:
    """The x-height the network really wrote (model units): the median letter top of all
    the lines, each above its own baseline. The net does not copy a style's size exactly
    (style 8's sample: 4.3, its writing: 3.4), so --size is kept by measuring the ink;
    ``fallback`` (the calibration) when there are too few lowercase letters to tell."""
    if sum(c.islower() for line in shaped for c in line.text) < MIN_LOWERCASE:
        return fallback
    per_line = [strokes.letter_tops(line.polylines) for line in shaped if line.polylines]
    tops = np.concatenate(per_line) if per_line else np.zeros(0)
    return float(np.median(tops)) if len(tops) >= MIN_TOPS else fallback


def _place(
    lines: list[WrittenLine | None], last_in_para: list[bool], opts: LayoutOptions
) -> list[WrittenLine]:
    x0, y0 = opts.position
    pitch = PITCH * opts.size * opts.line_spacing
    placed = []
    for k, line in enumerate(lines):
        if line is None or not line.polylines:
            continue
        polys = line.polylines
        width = line.width
        n_words = max(line.words) + 1 if line.words else 1
        if opts.justify and opts.wrap and not last_in_para[k] and n_words > 1:
            extra = max(0.0, opts.wrap - width)
            polys = [p + [extra * w / (n_words - 1), 0.0] for p, w in zip(polys, line.words)]
            width = max(width, opts.wrap if extra > 0 else width)
        if opts.align == "left":
            dx = x0
        elif opts.align == "center":
            dx = x0 + (opts.wrap - width) / 2 if opts.wrap else x0 - width / 2
        else:
            dx = x0 + opts.wrap - width if opts.wrap else x0 - width
        y = y0 + k * pitch
        placed.append(WrittenLine(line.text, [p + [dx, y] for p in polys], line.words, y))
    return placed


def _fit(line: WrittenLine, width: float) -> WrittenLine:
    """Shrink a line wider than the wrap width to fit: silently when it is within
    :data:`SHRINK_TOLERANCE`, with a warning for a single word that is wider still."""
    factor = width / line.width
    if factor < 1 / SHRINK_TOLERANCE:
        logger.warning(
            "%r is wider than --wrap; written %.0f%% smaller", line.text, 100 * factor
        )
    return WrittenLine(line.text, [p * factor for p in line.polylines], line.words)


def first_char_width(calib: Calibration, opts: LayoutOptions) -> float:
    """The width per character (caller units) that the first pass wraps with."""
    return FIRST_PASS_MARGIN * calib.char_width * opts.size / calib.x_height


def first_pass(text: str, calib: Calibration, opts: LayoutOptions) -> list[list[str]]:
    """The lines of each paragraph before any ink is measured (what is sampled first)."""
    char_width = first_char_width(calib, opts)
    texts = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if opts.wrap:
            texts.append(wrap_words(words, opts.wrap, char_width, MAX_CHARS))
        else:
            texts.append(split_long(words, MAX_CHARS))
    return texts


def _rewrap(texts: list[list[str]], p: int, k0: int, wrap: float, char_width: float):
    """Wrap paragraph ``p`` again from its line ``k0``; the (paragraph, line) pairs to
    sample again (none when the lines come out the same)."""
    rest = " ".join(texts[p][k0:]).split()
    lines = texts[p][:k0] + wrap_words(rest, wrap, char_width, MAX_CHARS)
    while k0 < min(len(lines), len(texts[p])) and lines[k0] == texts[p][k0]:
        k0 += 1
    texts[p] = lines
    return [(p, k) for k in range(k0, len(lines))]


def _rewrap_narrow(
    texts: list[list[str]], inked: list[list[WrittenLine]], estimate: list[float], wrap: float
) -> list[tuple[int, int]]:
    """After the first pass, wrapped with ``estimate`` per character: when the ink came out
    narrower per character by more than :data:`NARROW_TOLERANCE`, wrap the paragraphs again
    with the measured width (plus the first pass's margin); the lines to sample again."""
    lines = [line for para in inked for line in para]
    chars = sum(len(line.text) for line in lines)
    if not chars:
        return []
    measured = FIRST_PASS_MARGIN * sum(line.width for line in lines) / chars
    if min(estimate) <= NARROW_TOLERANCE * measured:
        return []
    todo = []
    for p in range(len(texts)):
        estimate[p] = measured
        if len(texts[p]) > 1:
            todo += _rewrap(texts, p, 0, wrap, measured)
    return todo


def _rewrap_wide(
    texts: list[list[str]],
    inked: list[list[WrittenLine]],
    estimate: list[float],
    wrap: float,
    skip: set[int],
) -> list[tuple[int, int]]:
    """Wrap each paragraph with a line wider than ``wrap`` (beyond the shrink tolerance)
    again from that line, with the width per character it really took; the lines to sample
    again. Paragraphs in ``skip`` are already being sampled again."""
    todo = []
    for p, lines in enumerate(inked):
        wide = [k for k, line in enumerate(lines) if line.width > wrap * SHRINK_TOLERANCE]
        if p in skip or not wide or all(len(texts[p][k].split()) == 1 for k in wide):
            continue
        estimate[p] = max(
            estimate[p] * 1.03, *(lines[k].width / len(lines[k].text) for k in wide)
        )
        todo += _rewrap(texts, p, wide[0], wrap, estimate[p])
    return todo


def check_options(opts: LayoutOptions) -> None:
    """Every option finite and within :mod:`limits` (a :class:`limits.LimitError` naming
    it), and a wrap width that letters of the size fit in (a :class:`LayoutError`)."""
    limits.number("size", opts.size, limits.MIN_SIZE, limits.MAX_SIZE, length=True)
    if opts.wrap is not None:
        limits.number("wrap", opts.wrap, 0.0, limits.MAX_EXTENT, length=True)
    for value in opts.position:
        limits.number("position", value, -limits.MAX_EXTENT, limits.MAX_EXTENT, length=True)
    limits.number(
        "line_spacing", opts.line_spacing, limits.MIN_LINE_SPACING, limits.MAX_LINE_SPACING
    )
    limits.integer("smooth", opts.smooth, 0, limits.MAX_SMOOTH)
    if opts.wrap is not None and opts.wrap < 4 * opts.size:
        raise LayoutError(
            f"wrap width {opts.wrap:.3g} is too narrow for letters of "
            f"x-height {opts.size:.3g} (need at least 4 x-heights)"
        )
    if opts.align not in ("left", "center", "right"):
        raise LayoutError(f"align must be left, center or right, not {opts.align!r}")


def layout_text(
    text: str, sampler: Sampler, calib: Calibration, opts: LayoutOptions
) -> list[WrittenLine]:
    """Lay out ``text`` and write it; returns each written line with its placed polylines.

    All lines are sampled as one batch. With ``wrap``, lines are first wrapped by an
    estimated character width, then measured; when the ink came out much narrower than
    estimated, every paragraph is wrapped again with the measured width; a paragraph with
    a line wider than ``wrap`` is wrapped again from that line with the width it really
    took. The lines that changed are sampled again (one batch per pass).
    """
    check_options(opts)
    texts = first_pass(text, calib, opts)
    scale = 0.0  # set from the first pass's ink
    inked: list[list[WrittenLine]] = [[] for _ in texts]
    todo = [(p, k) for p, lines in enumerate(texts) for k in range(len(lines))]
    for _ in range(WRAP_PASSES):
        sampled = sampler([texts[p][k] for p, k in todo]) if todo else []
        shaped = [shape_line(line, opts.smooth) for line in sampled]
        first = not scale
        if first:  # the width per character each paragraph was wrapped with
            scale = opts.size / written_x_height(shaped, calib.x_height)
            estimate = [first_char_width(calib, opts)] * len(texts)
        for (p, k), line in zip(todo, shaped):
            del inked[p][k:]
            inked[p].append(ink_line(line, scale, opts.size))
        todo = []
        if not opts.wrap:
            break
        if first:
            todo = _rewrap_narrow(texts, inked, estimate, opts.wrap)
        todo += _rewrap_wide(texts, inked, estimate, opts.wrap, {p for p, _ in todo})
    flat: list[WrittenLine | None] = []
    last: list[bool] = []
    for lines in inked:
        if not lines:  # an empty paragraph: a blank line
            flat.append(None)
            last.append(True)
        for k, line in enumerate(lines):
            if opts.wrap is not None and line.width > opts.wrap:
                line = _fit(line, opts.wrap)
            flat.append(line)
            last.append(k == len(lines) - 1)
    return _place(flat, last, opts)
