from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpype_handwriting import strokes


def wave_word(x0: float, width: float, height: float, descend: bool = False) -> np.ndarray:
    x = np.linspace(x0, x0 + width, 60)
    y = -height * 0.5 * (1 - np.cos(2 * np.pi * (x - x0) / (width / 4)))  # y down: ink above 0
    if descend:
        y[28:32] += 2 * height
    return np.stack([x, y], axis=1)


def test_polylines_split_at_pen_ups_and_round_trip() -> None:
    lines = [wave_word(0, 10, 2), wave_word(14, 8, 2), np.array([[30.0, -3.0]])]
    offsets = strokes.polylines_to_offsets(lines)
    back = strokes.offsets_to_polylines(offsets)
    assert len(back) == 3
    for a, b in zip(lines, back):
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_smoothing_keeps_endpoints_and_removes_corners() -> None:
    zig = np.array([[0, 0], [1, 1], [2, 0], [3, 1], [4, 0]], dtype=float)
    smooth = strokes.smooth(zig, 2)
    np.testing.assert_allclose(smooth[0], zig[0])
    np.testing.assert_allclose(smooth[-1], zig[-1])
    assert smooth[:, 1].max() < 1.0  # corners cut
    assert len(smooth) > len(zig)


def test_baseline_ignores_descenders_and_measures_x_height() -> None:
    words = [wave_word(0, 20, 3), wave_word(25, 20, 3, descend=True), wave_word(50, 20, 3)]
    slope, intercept = strokes.baseline(words)
    assert abs(slope) < 1e-6 and intercept == pytest.approx(0.0, abs=0.03)  # 1% of x-height
    assert strokes.x_height(words) == pytest.approx(3.0, rel=0.02)


def test_straighten_removes_a_tilt() -> None:
    words = [wave_word(0, 20, 3), wave_word(25, 20, 3), wave_word(50, 20, 3)]
    tilted = [w + np.stack([np.zeros(len(w)), 0.05 * w[:, 0] + 7], 1) for w in words]
    level = strokes.straighten(tilted)
    slope, intercept = strokes.baseline(level)
    assert abs(slope) < 1e-3 and abs(intercept) < 0.03


def test_drop_jitter_merges_tiny_steps() -> None:
    line = np.array([[0, 0], [0.01, 0], [0.02, 0.01], [1, 0], [1.005, 0]], dtype=float)
    (out,) = strokes.drop_jitter([line], 0.1)
    assert len(out) == 2
    np.testing.assert_allclose(out[0], [0, 0])


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.floats(-5, 5), st.floats(-5, 5)), min_size=1, max_size=30),
        min_size=1,
        max_size=4,
    ),
    st.floats(0.0, 2.0),
)
def test_drop_jitter_keeps_each_point_a_step_from_the_last_kept(points, min_step) -> None:
    lines = [np.array(p, dtype=float) for p in points]
    for line, out in zip(lines, strokes.drop_jitter(lines, min_step)):
        want = [line[0]]  # the rule, a point at a time
        for p in line[1:]:
            if np.hypot(*(p - want[-1])) >= min_step:
                want.append(p)
        if len(want) == 1 and len(line) > 1:
            want.append(line[-1])
        np.testing.assert_array_equal(out, np.array(want))


def test_dots_become_short_drawable_marks() -> None:
    dot = np.array([[5.0, 5.0]])
    tiny = np.array([[1.0, 1.0], [1.01, 1.0]])
    word = wave_word(0, 10, 2)
    out = strokes.mark_dots([dot, tiny, word], 0.5)
    assert len(out[0]) == 2 and np.hypot(*(out[0][1] - out[0][0])) == pytest.approx(0.5)
    np.testing.assert_allclose(out[0].mean(axis=0), [5.0, 5.0])
    assert np.hypot(*(out[1][1] - out[1][0])) == pytest.approx(0.5)
    assert out[2] is word


def test_simplify_keeps_the_shape_with_far_fewer_points() -> None:
    t = np.linspace(0, 2 * np.pi, 400)
    loop = np.stack([10 * np.cos(t), 6 * np.sin(t)], axis=1)
    straight = np.stack([np.linspace(0, 10, 50), np.zeros(50)], axis=1)
    dot = np.array([[1.0, 1.0], [1.2, 1.0]])
    out = strokes.simplify([loop, straight, dot], 0.01)
    assert len(out[0]) < 100 and len(out[1]) == 2 and np.array_equal(out[2], dot)
    np.testing.assert_array_equal(out[0][[0, -1]], loop[[0, -1]])  # same start and end
    # every original point stays within the tolerance of the simplified curve
    import shapely

    simple = shapely.LineString(out[0])
    assert max(simple.distance(shapely.Point(p)) for p in loop) <= 0.01 + 1e-9
