"""The legibility checker as writing uses it: numpy CTC, decoding, margins, verdicts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vpype_handwriting import checker as ck

from .conftest import requires_torch

if TYPE_CHECKING:
    from vpype_handwriting.training.checker_train import CheckerNet

ALPHABET = " abcdefghijklmnopqrstuvwxyz"


def tiny_net(seed: int = 0, hidden: int = 8, layers: int = 2) -> CheckerNet:
    """A random-weight checker net in torch (tests that call it need torch)."""
    import torch

    from vpype_handwriting.training.checker_train import CheckerNet

    torch.manual_seed(seed)
    return CheckerNet(ck.CheckerConfig(ALPHABET, hidden, layers, scale=5.0)).eval()


def as_numpy(net: CheckerNet) -> ck.Checker:
    tensors = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    return ck.Checker(net.config, tensors)


@requires_torch
def test_ctc_loss_matches_torch_including_repeated_letters() -> None:
    import torch

    rng = np.random.default_rng(3)
    logits = rng.normal(size=(20, 6))
    log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    for labels in ([1, 2, 3], [2, 2, 4, 4, 4], [5]):
        want = torch.nn.functional.ctc_loss(
            torch.tensor(log_probs)[:, None], torch.tensor([labels]), torch.tensor([20]),
            torch.tensor([len(labels)]), reduction="sum",
        )  # fmt: skip
        assert ck.ctc_nll(log_probs, np.array(labels)) == pytest.approx(float(want), rel=1e-6)


def test_greedy_decoding_merges_repeats_and_drops_blanks() -> None:
    frames = [0, 1, 1, 0, 1, 2, 2, 0, 0, 3]  # a a _ a b b _ _ c with blanks
    log_probs = np.log(np.full((len(frames), 4), 0.01))
    log_probs[np.arange(len(frames)), frames] = 0.0
    assert ck.greedy(log_probs, "abc") == "aabc"


def test_edit_distance_counts_insertions_deletions_substitutions() -> None:
    assert ck.edit_distance("nine", "hine") == 1
    assert ck.edit_distance("it", "il it") == 3
    assert ck.edit_distance("", "abc") == 3 and ck.edit_distance("abc", "abc") == 0


def test_features_give_heights_above_the_line_in_x_heights() -> None:
    offsets = np.array([[0, 0, 0], [1, 0, 0], [1, -6, 0], [1, 0, 1], [1, 6, 0]], np.float32)
    f = ck.features(offsets, scale=3.0)
    assert f.shape == (3, 8)  # 5 points → 3 frames of 2, the last padded
    heights = f.reshape(-1, 4)[:5, 3]
    np.testing.assert_allclose(heights, [0, 0, 2, 2, 0])  # 6 units up = 2 x-heights


@requires_torch
def test_a_line_is_sent_back_for_its_score_or_for_a_misread_letter() -> None:
    checker = as_numpy(tiny_net())
    checker.config.threshold = 0.3
    text = "it rained for nine days"

    def back(score: float, reading: str, margin: float = 5.0) -> bool:
        return checker.sends_back(ck.Assessment(score, reading, margin, 3), text)

    assert checker.config.max_misread == 0  # by default, one wrong letter sends it back
    assert not back(0.1, "itrained for nine days")
    assert back(0.1, "it rained for hine days")
    checker.config.max_misread = 1
    assert not back(0.1, "itrained for hine days")
    assert back(0.1, "it rainedfor hine dags")
    assert back(0.5, text)
    assert checker.config.min_margin == 0  # by default no letter is too unsure
    assert not back(0.1, text, margin=-2.0)
    checker.config.min_margin = 0.5  # a letter read only just surer than another: back
    assert back(0.1, text, margin=0.4) and not back(0.1, text, margin=0.6)
    checker.config.threshold = 0.0  # an uncalibrated checker sends nothing back
    assert not checker.sends_back(ck.Assessment(9.0, "xyz", -9.0, 0), "it rained")


def test_the_best_ctc_path_is_the_best_of_all_frame_labellings() -> None:
    import itertools

    rng = np.random.default_rng(5)
    for labels in ([1, 2], [2, 2], [3, 1, 3]):
        logits = rng.normal(size=(6, 4)) * 2
        log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        best, best_path = -np.inf, None
        for path in itertools.product(range(4), repeat=6):  # every labelling of 6 frames
            merged = [k for i, k in enumerate(path) if k and (i == 0 or path[i - 1] != k)]
            score = log_probs[np.arange(6), path].sum()
            if merged == labels and score > best:
                best, best_path = score, path
        got = ck.align(log_probs, np.array(labels))
        emitted = np.where(got >= 0, np.array(labels)[got], 0)
        assert log_probs[np.arange(6), emitted].sum() == pytest.approx(best)
        assert tuple(emitted) == best_path
        # each label owns one run of frames, in order
        runs = [k for i, k in enumerate(got) if k >= 0 and (i == 0 or got[i - 1] != k)]
        assert runs == list(range(len(labels)))


@requires_torch
def test_letter_margins_say_how_surely_each_letter_reads_where_the_path_puts_it() -> None:
    alphabet = "Aabt,"  # labels 1-5 (0 the blank)
    # frames: A (its lower case nearly as likely), blank, b (a t nearly as likely), blank, ","
    probs = np.array([
        [0.02, 0.50, 0.40, 0.03, 0.03, 0.02],
        [0.90, 0.02, 0.02, 0.02, 0.02, 0.02],
        [0.02, 0.02, 0.02, 0.48, 0.44, 0.02],
        [0.90, 0.02, 0.02, 0.02, 0.02, 0.02],
        [0.02, 0.02, 0.02, 0.02, 0.45, 0.47],
    ])  # fmt: skip
    margins = ck.letter_margins(np.log(probs), "Ab,", alphabet)
    # A: its own other case does not count against it; its next best rival is b or t
    assert margins[0] == pytest.approx(np.log(0.50 / 0.03))
    assert margins[1] == pytest.approx(np.log(0.48 / 0.44))  # b only just beats t
    assert margins[2] == np.inf  # punctuation is not judged
    checker = as_numpy(tiny_net())
    line = np.random.default_rng(0).normal(size=(30, 3)) * [3, 3, 0]
    seen = checker.assess(line, "a cab")
    margins = ck.letter_margins(checker.log_probs(line), "a cab", ALPHABET)
    assert seen.margin == margins.min() and "a cab"[seen.weakest] != " "
    assert margins[1] == np.inf and np.isfinite(margins[[0, 2, 3, 4]]).all()


def test_a_zero_read_as_an_o_is_not_a_misread_letter() -> None:
    from vpype_handwriting.checker import ctc_nll, encode, fold, fold_log_probs, misread

    assert misread("o171 552 889O", "0171 552 8890") == 0
    assert misread("0171 552 88oo", "0171 552 8890") == 1  # the 9 is still missing
    assert misread("dog", "d0g") == 0 and fold("Of 10") == "0f 10"
    # one frame each: "0" and "o" equally likely, then "1"; the text "01" scores as if the
    # zero had all the mass of both
    alphabet = "01o"
    probs = np.array([[0.0, 0.5, 0.0, 0.5], [0.0, 0.0, 1.0, 0.0]]) + 1e-12
    log_probs = np.log(probs / probs.sum(1, keepdims=True))
    plain = ctc_nll(log_probs, encode("01", alphabet))
    folded = ctc_nll(
        fold_log_probs(log_probs, alphabet), encode(fold("o1", alphabet), alphabet)
    )
    assert fold("oO0", "oO1") == "oo0"  # no zero in the alphabet: the o stands for the group
    assert plain == pytest.approx(np.log(2), abs=1e-6) and folded == pytest.approx(0, abs=1e-6)


def _one_line_ctc(log_probs: np.ndarray, labels: np.ndarray) -> float:
    """The CTC forward algorithm for one line, written out plainly (the reference)."""
    ext = np.zeros(2 * len(labels) + 1, dtype=np.int64)
    ext[1::2] = labels
    alpha = np.full(len(ext), -np.inf)
    alpha[0] = log_probs[0, 0]
    if len(ext) > 1:
        alpha[1] = log_probs[0, ext[1]]
    for t in range(1, len(log_probs)):
        new = np.full(len(ext), -np.inf)
        for s in range(len(ext)):
            ways = [alpha[s]] + ([alpha[s - 1]] if s else [])
            if s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2]:
                ways.append(alpha[s - 2])
            new[s] = np.logaddexp.reduce(ways) + log_probs[t, ext[s]]
        alpha = new
    return float(-np.logaddexp.reduce(alpha[-2:] if len(ext) > 1 else alpha[-1:]))


@st.composite
def _lines(draw):
    """A batch of (log-probabilities, labels): lines of different lengths, some labels
    repeated, some lines without labels."""
    out = []
    for _ in range(draw(st.integers(1, 4))):
        frames = draw(st.integers(1, 12))
        labels = draw(st.lists(st.integers(1, 4), max_size=max(0, (frames - 1) // 2)))
        seed = draw(st.integers(0, 2**16))
        logits = np.random.default_rng(seed).normal(size=(frames, 5)).astype(np.float32)
        log_probs = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        out.append((log_probs, np.array(labels, dtype=np.int64)))
    return out


@settings(max_examples=60, deadline=None)
@given(_lines())
def test_a_batch_of_lines_scores_and_aligns_each_as_it_would_alone(lines) -> None:
    log_probs, labels = [lp for lp, _ in lines], [lab for _, lab in lines]
    nll = ck.ctc_nll_batch(log_probs, labels)
    paths = ck.align_batch(log_probs, labels)
    for k, (lp, lab) in enumerate(lines):
        assert nll[k] == pytest.approx(_one_line_ctc(lp, lab), rel=1e-5, abs=1e-5)
        assert len(paths[k]) == len(lp)
        emitted = paths[k][paths[k] >= 0]  # the path emits every label, in order
        assert list(np.unique(emitted)) == list(range(len(lab)))
        assert np.all(np.diff(emitted) >= 0)
        np.testing.assert_array_equal(paths[k], ck.align_batch([lp], [lab])[0])
