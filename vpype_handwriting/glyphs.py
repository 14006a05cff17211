"""Letters and signs the network never learned (``ß æ œ``, ``@ € £ $ % # ...``), drawn by
hand in the line: the network writes the text around them, and each is drawn in its place.

:func:`plan` takes the signs out of a line's text. Where one stands inside a word
(``eve@example.com``) the network writes a space in its place, so that it leaves a gap;
where one stands beside a space (``€ 25``, ``50%``) the network writes the text without it.
:func:`add_glyphs` then cuts the written line where each sign goes (the attention window
tells which strokes were written before its place), draws the sign there from
:mod:`glyph_shapes` (sized to the line's x-height, on its baseline, slanted as the hand
slants, varied a little from one occurrence to the next, seeded) and moves the rest of the
line right by the room it takes. The sign is written in its place in the pen order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import attention, strokes
from .alphabet import DRAWN
from .attention import SEPARATORS
from .glyph_shapes import SHAPES, Glyph
from .lines import SampledLine
from .marks import POINTS_PER_X_HEIGHT
from .seeds import derived_rng

#: Room between a sign and a letter of its own word, and between signs, in x-heights.
LETTER_GAP = 0.3
#: A word's gap where the line has none to measure (a sign at the line's start or end).
WORD_GAP = 1.1
#: The least gap before a word's first stroke, in x-heights (letters stand closer).
WORD_START = 0.5
#: Lowercase letters a line needs before its own x-height sizes its signs.
MIN_LOWERCASE = 4


@dataclass(frozen=True)
class Run:
    """Consecutive signs ``text[start:stop]``, written before the network text's character
    ``split``; ``joined_left``/``joined_right``: it touches the text beside it (no space)."""

    start: int
    stop: int
    split: int
    placeholder: bool  # inside a word: the network writes a space at ``split`` for it
    joined_left: bool
    joined_right: bool


@dataclass(frozen=True)
class Plan:
    """What the network writes for ``text``, the runs of signs drawn by hand, and the index
    in ``text`` of each character of ``network`` (its END last)."""

    text: str
    network: str
    runs: tuple[Run, ...]
    index: tuple[int, ...]


def _runs(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for i, ch in enumerate(text):
        if ch not in DRAWN:
            continue
        if out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


def plan(text: str) -> Plan:
    """Split ``text`` into what the network writes and the signs drawn by hand.

    A sign between two letters or digits (``eve@example``, ``Straße``) leaves a space in the
    network's text, so that it writes a gap there; a sign beside punctuation or a space
    leaves nothing; a lone sign between spaces (``3 + 4``) takes one of them with it."""
    spans = _runs(text)
    if not spans:
        return Plan(text, text, (), tuple(range(len(text) + 1)))
    dropped: set[int] = set()
    kinds = []
    for a, b in spans:
        left = a > 0 and text[a - 1] not in SEPARATORS
        right = b < len(text) and text[b] not in SEPARATORS
        if not left and not right:  # the network writes one word's gap, not two
            if b < len(text) and text[b] == " ":
                dropped.add(b)
            elif a > 0 and text[a - 1] == " ":
                dropped.add(a - 1)
        inside = a > 0 and text[a - 1].isalnum() and b < len(text) and text[b].isalnum()
        kinds.append((inside, left, right))
    network: list[str] = []
    index: list[int] = []
    runs = []
    starts = {a: (b, k) for k, (a, b) in enumerate(spans)}
    i = 0
    while i < len(text):
        if i in starts:
            b, k = starts[i]
            inside, left, right = kinds[k]
            runs.append(Run(i, b, len(network), inside, left, right))
            if inside:
                network.append(" ")
                index.append(i)
            i = b
            continue
        if i not in dropped:
            network.append(text[i])
            index.append(i)
        i += 1
    return Plan(text, "".join(network), tuple(runs), (*index, len(text)))


def _spline(pts: np.ndarray, per_segment: int = 8) -> np.ndarray:
    """A Catmull-Rom curve through ``pts`` (ends kept)."""
    if len(pts) < 3:
        return pts
    p = np.vstack([pts[:1], pts, pts[-1:]])
    t = np.linspace(0.0, 1.0, per_segment, endpoint=False)[:, None]
    out = []
    for k in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[k - 1], p[k], p[k + 1], p[k + 2]
        out.append(
            0.5
            * (
                2 * p1
                + (p2 - p0) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (3 * p1 - p0 - 3 * p2 + p3) * t**3
            )
        )
    return np.vstack([*out, pts[-1:]])


@dataclass(frozen=True)
class Hand:
    """What a sign takes from its line: baseline (y down), x-height and slant."""

    slope: float
    intercept: float
    height: float
    slant: float

    @classmethod
    def of(cls, polylines: list[np.ndarray], text: str, fallback: float) -> Hand:
        """The hand of a line of ``text``; its x-height is ``fallback`` (the style's) where
        the line has too few lowercase letters to measure (digits stand taller)."""
        if not polylines:
            return cls(0.0, 0.0, fallback, strokes.slant([]))
        slope, intercept = strokes.baseline(polylines)
        height = strokes.x_height(polylines)
        if sum(ch.islower() for ch in text) < MIN_LOWERCASE or not height > 0:
            height = fallback
        return cls(slope, intercept, height, strokes.slant(polylines))


def _draw(
    glyph: Glyph, left: float, hand: Hand, rng: np.random.Generator
) -> tuple[list[np.ndarray], float]:
    """One occurrence of ``glyph`` with its left edge at ``left`` (model units, y down),
    a little bigger or smaller, wider or narrower, more or less slanted than the last;
    and its width."""
    size = hand.height * rng.uniform(0.93, 1.07)
    wide = rng.uniform(0.92, 1.08)
    slant = (hand.slant + rng.normal(0.0, 0.04)) * glyph.lean
    lift = rng.normal(0.0, 0.04)
    out = []
    for kind, pts in glyph.strokes:
        wobble = rng.normal(0.0, 0.02, pts.shape)
        if len(pts) > 2:  # neighbouring points wobble together, as a hand does
            wobble = (wobble + np.roll(wobble, 1, 0) + np.roll(wobble, -1, 0)) / 2
        pts = pts + wobble + rng.normal(0.0, 0.02, 2)
        if kind == "curve":
            pts = _spline(pts)
        gx, gy = pts[:, 0] * wide + slant * (pts[:, 1] + lift), pts[:, 1] + lift
        x = left + size * gx
        y = hand.intercept + hand.slope * x - size * gy
        out.append(strokes.resample(np.stack([x, y], 1), hand.height / POINTS_PER_X_HEIGHT))
    return out, glyph.width * wide * size


def _cuts(
    the_plan: Plan, line: SampledLine, polylines: list[np.ndarray], height: float
) -> list[int]:
    """For each run, the first stroke of the text after it: the first stroke to begin a
    character after the run (after a word's gap, where the network wrote a space there: the
    window may run ahead onto the space while the word's last letter is drawn), else the
    first drawn while the window was on one."""
    if not polylines:
        return [0] * len(the_plan.runs)
    focus = attention.point_focus(line.phi)
    median = attention.stroke_focus(focus, [len(p) for p in polylines])
    starts = attention.word_starts(the_plan.network, polylines, median)
    network = the_plan.network
    cuts, last = [], 0
    for run in the_plan.runs:
        nxt = attention.letter_at(network, run.split + int(run.placeholder))
        before = network[:nxt]  # spaced: a word's gap between a letter and the text
        spaced = before[-1:] in SEPARATORS and any(c not in SEPARATORS for c in before)
        after = [k for k, (c, _) in starts.items() if k >= last and c >= nxt]
        wide = [k for k in after if starts[k][1] >= WORD_START * height] if spaced else []
        ahead = next((k for k, f in enumerate(median) if f >= nxt), len(median))
        cut = (wide or after or [ahead])[0]
        last = max(last, cut)
        cuts.append(last)
    return cuts


def add_glyphs(
    line: SampledLine, the_plan: Plan, fallback: float, seed: int | None
) -> SampledLine:
    """``line``, written from ``the_plan.network``, with the plan's signs drawn in their
    places and the plan's text as its text (``fallback``: the x-height where the line has
    no letter to measure)."""
    if not the_plan.runs:
        return line
    polylines = strokes.offsets_to_polylines(line.offsets)
    hand = Hand.of(polylines, line.text, fallback)
    phi = _remap(line.phi, the_plan)
    lengths = [len(p) for p in polylines]
    starts = np.cumsum([0, *lengths])
    cuts = _cuts(the_plan, line, polylines, hand.height)
    parts: list[tuple[np.ndarray, np.ndarray]] = []  # (points, phi) of each stroke, in order
    shift, done, right_edge = 0.0, 0, None
    for run, cut in zip(the_plan.runs, cuts):
        for k in range(done, cut):
            parts.append((polylines[k] + [shift, 0.0], phi[starts[k] : starts[k + 1]]))
            right_edge = max(float(parts[-1][0][:, 0].max()), right_edge or -np.inf)
        done = cut
        rest = polylines[cut:]
        gap = _word_gap(run, polylines[:cut], rest, hand.height)
        left_room = LETTER_GAP * hand.height if run.joined_left else gap
        right_room = LETTER_GAP * hand.height if run.joined_right else gap
        nxt = min((float(p[:, 0].min()) for p in rest), default=None)
        if right_edge is not None:
            x = right_edge + left_room
        else:
            x = 0.0 if nxt is None else nxt + shift
        for i in range(run.start, run.stop):
            rng = derived_rng(seed, the_plan.text, i, "glyph")
            drawn, width = _draw(SHAPES[the_plan.text[i]], x, hand, rng)
            for stroke in drawn:
                one = np.zeros((len(stroke), len(the_plan.text) + 1), dtype=line.phi.dtype)
                one[:, i] = 1.0
                parts.append((stroke, one))
            x += width + (LETTER_GAP * hand.height if i < run.stop - 1 else 0.0)
        right_edge = x
        if nxt is not None:
            shift = x + right_room - nxt
    for k in range(done, len(polylines)):
        parts.append((polylines[k] + [shift, 0.0], phi[starts[k] : starts[k + 1]]))
    return _join(line, the_plan.text, parts)


def _word_gap(
    run: Run, before: list[np.ndarray], after: list[np.ndarray], height: float
) -> float:
    """The gap the network left between the words either side of a lone sign, or
    :data:`WORD_GAP` where it left none to measure."""
    if before and after and not run.placeholder:
        gap = min(float(p[:, 0].min()) for p in after) - max(
            float(p[:, 0].max()) for p in before
        )
        return float(np.clip(gap, 0.5 * height, 2.5 * height))
    return WORD_GAP * height


def _remap(phi: np.ndarray, the_plan: Plan) -> np.ndarray:
    """The attention over the network's text as attention over the plan's text."""
    out = np.zeros((len(phi), len(the_plan.text) + 1), dtype=phi.dtype)
    cols = min(phi.shape[1], len(the_plan.index)) if phi.ndim == 2 else 0
    np.add.at(out.T, np.asarray(the_plan.index[:cols]), phi[:, :cols].T)
    return out


def _join(
    line: SampledLine, text: str, parts: list[tuple[np.ndarray, np.ndarray]]
) -> SampledLine:
    """A sampled line of these strokes, in this order, the pen lifted after each."""
    if not parts:
        return replace(line, text=text, phi=np.zeros((0, len(text) + 1), line.phi.dtype))
    offsets = strokes.polylines_to_offsets([p for p, _ in parts])
    return replace(
        line,
        text=text,
        offsets=offsets.astype(line.offsets.dtype),
        phi=np.vstack([f for _, f in parts]),
    )


def empty_line(text: str = "") -> SampledLine:
    """A written line of ``text`` with no ink: the network's part of a line of signs alone."""
    return SampledLine(text, np.zeros((0, 3), np.float32), np.zeros((0, len(text) + 1)))
