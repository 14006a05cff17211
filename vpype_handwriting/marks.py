"""Accents written by hand: the network writes an accented letter's base (``é`` as ``e``),
and its mark is added as pen strokes over that letter's ink.

The attention window tells which points belong to which character, so the mark goes where
its letter was written: centred over the top of that letter's ink, above the x-height (or
above a capital), below the baseline for a cedilla or an ogonek, through the letter for a
stroke. Each mark is sized to the line's own x-height, drawn with a little variation from
one occurrence to the next (seeded, so the same seed gives the same marks), and inserted
after its word, where writers add them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import attention, strokes
from .alphabet import split_marks
from .lines import SampledLine
from .seeds import derived_rng

#: Each mark as strokes in x-heights, x right and y up from its anchor: the top centre of
#: the letter's body (or of its ink, for a tall letter), the baseline below the letter for
#: ``cedilla``, its right foot for ``ogonek``, the letter's middle for the strokes through it.
SHAPES: dict[str, list[list[tuple[float, float]]]] = {
    "acute": [[(-0.1, 0.28), (0.24, 0.78)]],
    "grave": [[(-0.24, 0.78), (0.1, 0.28)]],
    "circumflex": [[(-0.25, 0.25), (0.0, 0.6), (0.25, 0.25)]],
    "caron": [[(-0.25, 0.6), (0.0, 0.25), (0.25, 0.6)]],
    "caron_beside": [[(0.04, 0.12), (-0.06, -0.3)]],  # ď ľ Ľ: a tick beside the stem
    "caron_above": [[(0.04, 0.12), (-0.06, -0.3)]],  # ť: the same tick, above its bar
    "diaeresis": [[(-0.18, 0.42), (-0.16, 0.45)], [(0.18, 0.42), (0.2, 0.45)]],
    "dot": [[(-0.02, 0.42), (0.04, 0.5)]],
    "tilde": [[(-0.3, 0.35), (-0.15, 0.5), (0.0, 0.4), (0.15, 0.3), (0.3, 0.45)]],
    "macron": [[(-0.28, 0.4), (0.28, 0.42)]],
    "ring": [
        [(0.0, 0.25), (0.13, 0.32), (0.15, 0.45), (0.05, 0.55), (-0.1, 0.52), (-0.15, 0.4),
         (-0.1, 0.28), (0.0, 0.25)]
    ],
    "breve": [[(-0.22, 0.55), (-0.15, 0.35), (0.0, 0.28), (0.15, 0.35), (0.22, 0.55)]],
    "double_acute": [[(-0.28, 0.28), (-0.02, 0.76)], [(0.1, 0.28), (0.36, 0.76)]],
    "cedilla": [[(0.0, 0.0), (0.0, -0.16), (0.17, -0.24), (0.2, -0.38), (0.06, -0.48),
                 (-0.14, -0.44)]],  # a hook that hangs from the letter
    "ogonek": [[(0.0, 0.0), (-0.15, -0.22), (-0.05, -0.45), (0.15, -0.48)]],
    "comma_below": [[(0.03, -0.26), (0.04, -0.34), (-0.03, -0.5), (-0.1, -0.58)]],  # apart
    "slash": [[(-0.45, -0.55), (0.45, 0.55)]],
    # ł: long and tilted about 40 degrees, so that it reads neither as a t's bar (flat) nor
    # runs along a slanted stem (steep)
    "stroke": [[(-0.33, -0.27), (0.33, 0.29)]],
    "bar": [[(-0.25, 0.0), (0.35, 0.0)]],
}  # fmt: skip
BELOW = frozenset({"cedilla", "ogonek", "comma_below"})
#: Letters whose caron is written as a tick beside the top of their stem (Czech and Slovak
#: ``ď ť ľ Ľ``), not over it.
CARON_BESIDE = frozenset("dtlL")
#: Lowercase letters that rise above the x-height.
TALL = frozenset("bdfhklt")
THROUGH = frozenset({"slash", "stroke", "bar"})
#: Points a mark's stroke gets per x-height of length (the training ink's pen rate is
#: about 3 points an x-height).
POINTS_PER_X_HEIGHT = 4.0


def _anchor(
    points: np.ndarray, mark: str, base_y: float, height: float, small: bool = False
) -> tuple[float, float]:
    """Where a mark's origin goes over a letter's ink (y down, model units): over the top of
    its ink, or for a ``small`` letter over the middle of its body (the tops of a u's arms
    differ, and the window takes in a little of the neighbours)."""
    top = float(points[:, 1].min())
    upper = points[points[:, 1] <= top + 0.35 * max(base_y - top, 0.0)]
    if mark == "caron_beside":  # just right of the stem's top (a d's, l's) ...
        return float(points[np.argmin(points[:, 1]), 0]) + 0.2 * height, top - 0.15 * height
    if mark == "caron_above":  # ... or above it, clear of a t's bar at the top of its stem
        return float(points[np.argmin(points[:, 1]), 0]) + 0.15 * height, top - 0.4 * height
    # a small letter: the middle of the upper half of its body, which the joins from the
    # letter before (low, near the baseline) do not reach
    half = points[points[:, 1] <= (top + base_y) / 2] if small else points
    body = half if len(half) >= 2 else points
    left, right = np.percentile(body[:, 0], [10, 90]) if small else (0.0, 0.0)
    cx = float(left + right) / 2 if small else float(upper[:, 0].mean())
    if mark in BELOW:  # under the letter's lowest ink there (a T's stem may end below)
        far = float(right) if small else float(points[:, 0].max())
        x = far - 0.2 * height if mark == "ogonek" else cx
        near = points[np.abs(points[:, 0] - x) < 0.3 * height, 1]
        return x, max(base_y, float(near.max())) if len(near) else base_y
    if mark == "bar":  # across a d's ascender, a third of the way down from its top
        return cx, top + 0.35 * (base_y - top)
    if mark in THROUGH:  # centred on the ink at that height: an L's stem, not its foot
        y = base_y - 0.5 * min(base_y - top, 2 * height)
        level = points[np.abs(points[:, 1] - y) < 0.25 * height]
        return float((level if len(level) else points)[:, 0].mean()), y
    return cx, min(top, base_y - height)


def _mark_points(
    mark: str, origin: tuple[float, float], height: float, rng
) -> list[np.ndarray]:
    """The strokes of one mark, varied a little (size, tilt, place), in model units."""
    scale = height * rng.uniform(0.9, 1.12)
    tilt = rng.uniform(-0.12, 0.12)
    shift = rng.normal(0.0, 0.04, 2) * height
    out = []
    for stroke in SHAPES[mark]:
        pts = np.array(stroke, dtype=np.float64)
        pts = np.stack([pts[:, 0] + tilt * pts[:, 1], pts[:, 1]], 1) * scale
        xy = np.stack([origin[0] + pts[:, 0], origin[1] - pts[:, 1]], 1) + shift
        out.append(strokes.resample(xy, height / POINTS_PER_X_HEIGHT))
    return out


def add_marks(
    line: SampledLine, text: str, alphabet: str, fallback: float, seed: int | None
) -> SampledLine:
    """``line``, sampled from ``text``'s base letters, with the marks of ``text``'s accented
    letters drawn over their letters and ``text`` as its text; marks are sized to the x-height
    the line was written at (``fallback`` where it has no letter to measure)."""
    marks = []
    for i, ch in enumerate(text):
        split = split_marks(ch, alphabet) if ch != line.text[i : i + 1] else None
        if split is not None:
            marks.append((i, split[1]))
    if not marks or len(line.offsets) == 0:
        return replace(line, text=text)
    points = np.cumsum(line.offsets[:, :2].astype(np.float64), axis=0)
    ends = line.offsets[:, 2] > 0.5
    # a letter's ink is where the window's centre is on it (judged on renders: the window's
    # peak puts some accents a letter to the left, its centre a quarter later to the right)
    focus = attention.point_focus(line.phi)
    polylines = strokes.offsets_to_polylines(line.offsets)
    letters = _letter_ink(line.text, polylines, focus)
    slope, intercept = strokes.baseline(polylines)
    height = strokes.x_height(polylines)
    height = height if np.isfinite(height) and height > 0 else fallback
    inserts: dict[int, list[tuple[int, np.ndarray]]] = {}
    dropped: set[int] = set()
    for i, names in marks:
        own = _own(letters.get(i, []), line.text[i], np.flatnonzero(focus == i))
        if len(own) == 0:  # written in passing: the points nearest the window's way past it
            own = np.flatnonzero(np.abs(focus - i) <= 1)
        if len(own) == 0:
            continue
        ink = points[own]
        base_y = intercept + slope * float(ink[:, 0].mean())
        if not np.isfinite(base_y):
            base_y = float(ink[:, 1].max())
        if line.text[i] in "ij":  # an accent takes the place of the dot: í, not a dotted í
            dot = _dot(points, ends, ink, base_y, height)
            dropped.update(dot)
            ink = points[[k for k in own if k not in dot]] if len(own) > len(dot) else ink
        # the other letters' ink: not this letter's, nor the rest of its own strokes
        others = np.delete(
            points, np.union1d(own, np.concatenate([own, *letters.get(i, [])])), axis=0
        )
        drawn = _draw(
            names, line.text[i], ink, others, base_y, height, derived_rng(seed, text, i)
        )
        at = _after_word(text, i, focus, ends)
        inserts.setdefault(at, []).extend((i, stroke) for stroke in drawn)
    return _insert(line, text, points, inserts, dropped)


def _after_word(text: str, i: int, focus: np.ndarray, ends: np.ndarray) -> int:
    """The point after which the marks of letter ``i`` are written: the end of the stroke
    that ends its word, as writers add accents."""
    word_end = text.find(" ", i)
    last = np.flatnonzero(focus < (len(text) if word_end < 0 else word_end))
    after = int(last.max()) if len(last) else len(ends) - 1
    stop = np.flatnonzero(ends[after:])
    return after + int(stop[0]) if len(stop) else len(ends) - 1


def _draw(
    names: tuple[str, ...],
    letter: str,
    ink: np.ndarray,
    others: np.ndarray,
    base_y: float,
    height: float,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """The strokes of a letter's marks over its ``ink``, clear of the ``others``' ink."""
    small = _small(letter)
    out = []
    for name in names:
        if name == "caron" and letter in CARON_BESIDE:
            name = "caron_above" if letter == "t" else "caron_beside"
        anchor = _anchor(_body(ink, letter, base_y, height), name, base_y, height, small)
        drawn = _mark_points(name, anchor, height, rng)
        if name not in THROUGH:
            drawn = _clear(drawn, others, height, -1.0 if name in BELOW else 1.0)
        out += drawn
    return out


#: The least room between a mark and the ink of other letters, in x-heights.
CLEARANCE = 0.3
#: How far a mark may move sideways, away from a tall neighbour, before it moves up (more
#: would take it off its own small letter), in x-heights.
SIDEWAYS = 0.2


def _clear(
    drawn: list[np.ndarray], others: np.ndarray, height: float, up: float
) -> list[np.ndarray]:
    """The mark moved until it keeps :data:`CLEARANCE` from the other letters' ink (an
    accent that touches the bar of an f reads as part of it), by at most twice that: away
    from the baseline (``up``: 1 above, -1 below), first sideways (by :data:`SIDEWAYS`)
    when the nearest ink is a tall neighbour as high as the mark (the top of the t before
    the é of Côté), whose ascender lifting would only follow. Ink farther
    out than the mark (the bar of a T over the next letter) is no reason to move it: that
    would run it into the bar."""
    if not len(others):
        return drawn
    pts = np.vstack(drawn)
    beyond = pts[:, 1].min() if up > 0 else pts[:, 1].max()  # y grows downward
    inside = others[:, 1] >= beyond if up > 0 else others[:, 1] <= beyond
    others = others[inside]
    near = others[np.abs(others[:, 0] - pts[:, 0].mean()) < np.ptp(pts[:, 0]) + height]
    if not len(near):
        return drawn
    dist = np.sqrt(((pts[:, None, :] - near[None, :, :]) ** 2).sum(-1))
    mine, other = np.unravel_index(int(np.argmin(dist)), dist.shape)
    move = min(max(CLEARANCE * height - float(dist[mine, other]), 0.0), 2 * CLEARANCE * height)
    beside = up > 0 and near[other, 1] <= pts[:, 1].max()  # a tall neighbour as high
    aside = min(move, SIDEWAYS * height) if beside else 0.0
    side = 1.0 if near[other, 0] < pts[mine, 0] else -1.0  # away from the neighbour
    return [stroke + [side * aside, -up * (move - aside)] for stroke in drawn]


def _letter_ink(
    text: str, polylines: list[np.ndarray], focus: np.ndarray
) -> dict[int, list[np.ndarray]]:
    """The strokes (point indices) of each character that has strokes of its own: those
    drawn while the window was mostly on it, and a word's first stroke drawn while the
    window was still on the space before (it lags behind the pen as a word begins)."""
    median = attention.stroke_focus(focus, [len(p) for p in polylines])
    bounds = np.cumsum([0, *[len(p) for p in polylines]])
    out: dict[int, list[np.ndarray]] = {}
    for k, m in enumerate(median):
        if m >= 0:
            out.setdefault(int(m), []).append(np.arange(bounds[k], bounds[k + 1]))
    for k, (char, _) in attention.word_starts(text, polylines, median).items():
        on = int(median[k])
        if on < char and (on < 0 or text[on] in attention.SEPARATORS):
            out.setdefault(char, []).append(np.arange(bounds[k], bounds[k + 1]))
    return out


def _small(letter: str) -> bool:
    """A lowercase letter that keeps to the x-height."""
    return letter.islower() and letter not in TALL


def _own(spans: list[np.ndarray], letter: str, on: np.ndarray) -> np.ndarray:
    """A letter's ink: its strokes, or where it has none (cursive) the points on it.

    A lowercase letter is one stroke: of its strokes, the one the window stayed on most (the
    others are a bar or a dot of a letter before, drawn late, or the next letter begun
    early); of a small letter's, the points on it, when enough (a bar may run on into it)."""
    if not spans:  # the longest run of them: the window passes over others in a blink
        runs = np.split(on, np.flatnonzero(np.diff(on) > 1) + 1)
        return max(runs, key=len) if len(on) else on
    if not letter.islower():
        return np.concatenate(spans)
    best = max(spans, key=lambda span: len(np.intersect1d(span, on)))
    if letter in TALL:
        return best
    mine = np.intersect1d(best, on)
    return mine if len(mine) >= 3 else best


def _body(ink: np.ndarray, letter: str, base_y: float, height: float) -> np.ndarray:
    """A small letter's ink without what rises above its body (the window takes in part of a
    tall neighbour, or an i's dot), so that its accent is centred over the letter."""
    if not _small(letter):
        return ink
    low = ink[ink[:, 1] >= base_y - 1.4 * height]
    return low if len(low) else ink


def _dot(
    points: np.ndarray, ends: np.ndarray, stem: np.ndarray, base_y: float, height: float
) -> set[int]:
    """The points of the dot the network gave an ``i`` or ``j`` (a short stroke high over
    its stem, wherever in the word it was written), or none."""
    stops = np.flatnonzero(ends)
    starts = np.concatenate([[0], stops[:-1] + 1])
    x0, x1 = float(stem[:, 0].min()), float(stem[:, 0].max())
    best: tuple[float, int, int] | None = None
    for a, b in zip(starts, stops):
        pts = points[a : b + 1]
        cx, cy = pts.mean(axis=0)
        small = max(np.ptp(pts[:, 0]), np.ptp(pts[:, 1])) < 0.5 * height
        near = x0 - 0.7 * height <= cx <= x1 + 0.7 * height
        if small and near and cy < base_y - 0.9 * height:
            gap = abs(cx - (x0 + x1) / 2)
            if best is None or gap < best[0]:
                best = (gap, int(a), int(b))
    return set() if best is None else set(range(best[1], best[2] + 1))


def _insert(
    line: SampledLine,
    text: str,
    points: np.ndarray,
    inserts: dict[int, list[tuple[int, np.ndarray]]],
    dropped: set[int],
) -> SampledLine:
    """The line with each mark's strokes after point ``at`` (a stroke's end) and without
    the points ``dropped`` (dots that accents replace)."""
    xy, pen, phi, kept = [], [], [], []
    width = line.phi.shape[1]
    start = 0
    for at in sorted(inserts):
        xy.append(points[start : at + 1])
        pen.append(line.offsets[start : at + 1, 2].copy())
        phi.append(line.phi[start : at + 1])
        kept.append([k not in dropped for k in range(start, at + 1)])
        pen[-1][-1] = 1.0
        for index, stroke in inserts[at]:
            xy.append(stroke)
            lift = np.zeros(len(stroke))
            lift[-1] = 1.0
            pen.append(lift)
            one = np.zeros((len(stroke), width), dtype=line.phi.dtype)
            one[:, min(index, width - 1)] = 1.0  # the mark belongs to its letter's word
            phi.append(one)
            kept.append([True] * len(stroke))
        start = at + 1
    xy.append(points[start:])
    pen.append(line.offsets[start:, 2])
    phi.append(line.phi[start:])
    kept.append([k not in dropped for k in range(start, len(points))])
    keep = np.concatenate(kept).astype(bool)
    absolute = np.concatenate(xy)[keep]
    offsets = np.concatenate([absolute[:1], np.diff(absolute, axis=0)])
    offsets = np.concatenate([offsets, np.concatenate(pen)[keep][:, None]], 1)
    return replace(
        line,
        text=text,
        offsets=offsets.astype(line.offsets.dtype),
        phi=np.concatenate(phi)[keep],
    )
