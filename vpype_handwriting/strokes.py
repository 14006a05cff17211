"""Pen offsets ⇄ points ⇄ polylines: splitting at pen-ups, smoothing, baseline, units."""

from __future__ import annotations

import math

import numpy as np


def offsets_to_polylines(offsets: np.ndarray) -> list[np.ndarray]:
    """(n, 3) offsets (dx, dy, eos) → list of (k, 2) pen-down polylines.

    A row's eos=1 means the pen lifts after that point, so the next offset is a pen-up move.
    """
    if len(offsets) == 0:
        return []
    points = np.cumsum(offsets[:, :2], axis=0)
    ends = np.flatnonzero(offsets[:, 2] > 0.5)
    if len(ends) == 0 or ends[-1] != len(offsets) - 1:
        ends = np.append(ends, len(offsets) - 1)
    starts = np.concatenate([[0], ends[:-1] + 1])
    return [points[a : b + 1] for a, b in zip(starts, ends) if b >= a]


def polylines_to_offsets(polylines: list[np.ndarray]) -> np.ndarray:
    """Inverse of :func:`offsets_to_polylines` (first offset: from the origin)."""
    rows = []
    for line in polylines:
        eos = np.zeros((len(line), 1))
        eos[-1] = 1
        rows.append(np.hstack([line, eos]))
    pts = np.vstack(rows)
    out = pts.copy()
    out[1:, :2] = np.diff(pts[:, :2], axis=0)
    return out


def smooth(line: np.ndarray, iterations: int = 2) -> np.ndarray:
    """Chaikin corner cutting, endpoints kept: curves instead of jagged pen steps."""
    for _ in range(iterations):
        if len(line) < 3:
            return line
        q = 0.75 * line[:-1] + 0.25 * line[1:]
        r = 0.25 * line[:-1] + 0.75 * line[1:]
        mid = np.empty((2 * (len(line) - 1), 2))
        mid[0::2], mid[1::2] = q, r
        line = np.vstack([line[:1], mid[1:-1], line[-1:]])
    return line


def simplify(polylines: list[np.ndarray], tolerance: float) -> list[np.ndarray]:
    """Douglas-Peucker: drop points within ``tolerance`` of the simplified curve.

    Smoothing leaves ~40 points per character; most lie on nearly straight runs. Dropping
    them keeps the shape (``tolerance`` far below a pen's width), a smaller file and fewer
    tiny moves for the plotter."""
    import shapely

    long = [k for k, p in enumerate(polylines) if len(p) > 2]
    if not long:
        return list(polylines)
    idx = np.repeat(np.arange(len(long)), [len(polylines[k]) for k in long])
    geoms = shapely.linestrings(np.concatenate([polylines[k] for k in long]), indices=idx)
    simple = shapely.simplify(geoms, tolerance, preserve_topology=False)
    out = list(polylines)
    for k, g in zip(long, simple):
        out[k] = shapely.get_coordinates(g)
    return out


def drop_jitter(polylines: list[np.ndarray], min_step: float) -> list[np.ndarray]:
    """Merge points closer than ``min_step`` so the plotter draws no hairline zig-zags."""
    out = []
    for line in polylines:
        points = line.tolist()  # a loop over Python floats: a point at a time is the rule
        kx, ky = points[0]
        keep = [0]
        for i, (x, y) in enumerate(points[1:], 1):
            if math.hypot(x - kx, y - ky) >= min_step:
                keep.append(i)
                kx, ky = x, y
        if len(keep) == 1 and len(line) > 1:
            keep.append(len(line) - 1)
        out.append(line[keep])
    return out


def _extrema(polylines: list[np.ndarray], lowest: bool) -> np.ndarray:
    """Points where the pen turns in y: bottoms (y largest, y grows down) or tops."""
    found: list[np.ndarray] = []
    for line in polylines:
        y = line[:, 1]
        if len(y) < 3:
            continue
        dy = np.sign(np.diff(y))
        turn = (dy[:-1] > 0) & (dy[1:] <= 0) if lowest else (dy[:-1] < 0) & (dy[1:] >= 0)
        found.extend(line[1:-1][turn])
    return np.asarray(found).reshape(-1, 2)


def baseline(polylines: list[np.ndarray]) -> tuple[float, float]:
    """(slope, intercept) of the line the letters sit on, from the bottoms of the ink.

    Descenders are a minority of letter bottoms, so a median-based fit ignores them.
    """
    bottoms = _extrema(polylines, lowest=True)
    if len(bottoms) < 2:
        pts = np.vstack(polylines)
        return 0.0, float(np.percentile(pts[:, 1], 75))
    x, y = bottoms[:, 0], bottoms[:, 1]
    slope = 0.0
    if np.ptp(x) > 0 and len(x) >= 6:
        order = np.argsort(x)
        half = len(x) // 2
        left, right = order[:half], order[half:]
        dx = np.median(x[right]) - np.median(x[left])
        if dx > 0:
            slope = float(np.clip((np.median(y[right]) - np.median(y[left])) / dx, -0.2, 0.2))
    intercept = float(np.median(y - slope * x))
    return slope, intercept


def letter_tops(polylines: list[np.ndarray]) -> np.ndarray:
    """Heights of the letter tops above the baseline (ink units): most are the lowercase
    body, fewer are capitals and ascenders."""
    slope, intercept = baseline(polylines)
    tops = _extrema(polylines, lowest=False)
    if len(tops) == 0:
        return np.zeros(0)
    above = intercept + slope * tops[:, 0] - tops[:, 1]
    return above[above > 0]


def x_height(polylines: list[np.ndarray]) -> float:
    """Height of the lowercase body: median letter top above the baseline (ink units)."""
    above = letter_tops(polylines)
    return float(np.median(above)) if len(above) else 0.0


#: The slant of a hand with too little ink to measure (x per unit of height).
DEFAULT_SLANT = 0.15


def slant(polylines: list[np.ndarray]) -> float:
    """How far the hand leans right per unit of height (0: upright), from the pen's
    mostly vertical moves: x moved per height climbed, weighted by the move's height."""
    moves = [np.diff(p, axis=0) for p in polylines if len(p) > 1]
    if not moves:
        return DEFAULT_SLANT
    d = np.vstack(moves)
    steep = np.abs(d[:, 1]) > 1.5 * np.abs(d[:, 0])
    if steep.sum() < 5:
        return DEFAULT_SLANT
    dx, dy = d[steep, 0], d[steep, 1]
    return float(np.clip(-(dx * dy).sum() / (dy * dy).sum(), -0.3, 0.6))


def straighten(polylines: list[np.ndarray]) -> list[np.ndarray]:
    """Shear out the baseline's slope and move the baseline to y = 0."""
    slope, intercept = baseline(polylines)
    out = []
    for line in polylines:
        moved = line.copy()
        moved[:, 1] -= intercept + slope * line[:, 0]
        out.append(moved)
    return out


def bounds(polylines: list[np.ndarray]) -> tuple[float, float, float, float]:
    pts = np.vstack(polylines)
    return (
        float(pts[:, 0].min()),
        float(pts[:, 1].min()),
        float(pts[:, 0].max()),
        float(pts[:, 1].max()),
    )


def mark_dots(polylines: list[np.ndarray], min_length: float) -> list[np.ndarray]:
    """Give strokes shorter than ``min_length`` (i-dots, full stops) a drawable short mark;
    a one-point path draws nothing on a plotter."""
    out = []
    for line in polylines:
        length = float(np.hypot(*np.diff(line, axis=0).T).sum()) if len(line) > 1 else 0.0
        if length < min_length:
            c = line.mean(axis=0)
            half = np.array([min_length / 2, 0.0])
            line = np.stack([c - half, c + half])
        out.append(line)
    return out


def resample(line: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` along the polyline (ends kept), like the training pen rate."""
    seg = np.hypot(*np.diff(line, axis=0).T)
    length = float(seg.sum())
    if len(line) < 2 or length < step:
        return line[[0, -1]] if len(line) > 1 and length > 0 else line[:1]
    at = np.concatenate([[0.0], np.cumsum(seg)])
    targets = np.linspace(0.0, length, max(2, int(round(length / step)) + 1))
    return np.stack(
        [np.interp(targets, at, line[:, 0]), np.interp(targets, at, line[:, 1])], 1
    )
