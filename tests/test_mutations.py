"""Letters dropped, doubled and swapped in real ink, so that the checker learns to read
what is written."""

from __future__ import annotations

import numpy as np
import pytest

from vpype_handwriting.training import iamondb
from vpype_handwriting.training.mutations import Mutations, mutate_line


def _three_letters() -> tuple[np.ndarray, str, np.ndarray]:
    """'abc' written left to right, 4 points a letter, a lift after the b."""
    offsets = np.zeros((12, 3), np.float32)
    offsets[:, 0] = 1.0
    offsets[:, 1] = np.tile([0.5, 0.5, -0.5, -0.5], 3)
    offsets[7, 2] = 1.0  # the pen lifts after the b
    offsets[11, 2] = 1.0
    return offsets, "abc", np.repeat([0, 1, 2], 4)


def test_a_dropped_letter_leaves_its_text_and_ink_and_the_rest_closes_up() -> None:
    offsets, text, chars = _three_letters()
    dropped = doubled = 0
    for seed in range(40):
        out, label = mutate_line(offsets, text, chars, np.random.default_rng(seed))
        if len(label) == 2:
            dropped += 1
            gone = "abc".index(next(c for c in "abc" if c not in label))
            keep = chars != gone
            # the other letters' offsets, unchanged and in order: the ink closes up
            np.testing.assert_array_equal(out[:, :2], offsets[keep, :2])
            if label == "ac":  # the lift after the dropped b is kept, after the a
                assert out[3, 2] == 1.0 and out[:, 2].sum() == 2
        else:
            doubled += 1
            twice = next(c for c in "abc" if label.count(c) == 2)
            k = "abc".index(twice)
            assert label == text[: k + 1] + text[k:] and len(out) == 16
            again = out[4 * k + 4 : 4 * k + 8]  # the letter's points written a second time
            np.testing.assert_array_equal(again, offsets[4 * k : 4 * k + 4])
    assert dropped > 20 and doubled > 5  # about 70 / 30


def test_dropping_a_one_letter_word_leaves_one_space() -> None:
    offsets = np.tile(_three_letters()[0][:4], (3, 1))
    chars = np.repeat([0, 2, 4], 4)  # "x a y": each letter 4 points, the spaces none
    rngs = [np.random.default_rng(seed) for seed in range(60)]
    labels = {mutate_line(offsets, "x a y", chars, rng)[1] for rng in rngs}
    assert {"x y", "a y", "x a"} <= labels and not any("  " in x for x in labels)


def test_a_line_with_no_letter_to_drop_comes_back_unchanged() -> None:
    offsets, _, chars = _three_letters()
    out, label = mutate_line(offsets, ".,;", chars, np.random.default_rng(0))
    assert label == ".,;" and out is offsets


def test_a_swapped_letter_is_written_in_another_lines_ink_of_that_letter() -> None:
    offsets, text, chars = _three_letters()
    other = offsets.copy()
    other[:, :2] *= 1.5  # a bigger writer: its glyphs come scaled to this line's size
    other[4:8, 0] = [0.5, 2.0, 0.5, 2.0]  # its y is wider than this line's b
    data = iamondb.Dataset.from_lines([offsets, other], ["abc", "xyz"], ["f1", "f2"])
    mutations = Mutations(data, [chars, chars], swap=1.0)
    ratio = mutations.heights[0] / mutations.heights[1]
    assert ratio == pytest.approx(1 / 1.5)
    seen = set()
    for seed in range(60):
        out, label = mutations(0, offsets, text, np.random.default_rng(seed))
        changed = [k for k in range(3) if label[k] != text[k]]
        assert len(label) == 3 and len(changed) == 1
        seen.add(label)
        k = changed[0]
        if label[k] in "xyz":  # line 2's letter, scaled to this line
            glyph = other[4 * "xyz".index(label[k]) :][:4].copy()
            glyph[:, :2] *= ratio
            glyph[:, 1] += (offsets[4 * k : 4 * k + 4, 1].sum() - glyph[:, 1].sum()) / 4
            glyph[-1, 2] = offsets[4 * k + 3, 2]  # lifting after it as the old letter did
            np.testing.assert_allclose(out[4 * k : 4 * k + 4], glyph, rtol=1e-5)
        # it ends where the old letter ended in y: the rest of the line stays on its line
        assert out[: 4 * k + 4, 1].sum() == pytest.approx(offsets[: 4 * k + 4, 1].sum())
        letter = range(4 * k, 4 * k + 4)  # the other letters' points are untouched
        np.testing.assert_array_equal(np.delete(out, letter, 0), np.delete(offsets, letter, 0))
    assert {"ayc", "xbc", "abz", "bbc"} <= seen
    plain = Mutations(data, [chars, chars])  # no swaps: a letter dropped or doubled
    label = plain(0, offsets, text, np.random.default_rng(0))[1]
    assert label in {"ab", "ac", "bc", "aabc", "abbc", "abcc"}
