from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from vpype_handwriting import checker as ck
from vpype_handwriting.training import iamondb
from vpype_handwriting.training.checker_train import (
    CheckerNet,
    CheckerOptions,
    CheckerTrainer,
    make_batch,
)
from vpype_handwriting.training.mutations import Mutations, mutate_line, point_chars
from vpype_handwriting.weights import WeightsError

from .test_train import tiny_dataset

ALPHABET = " abcdefghijklmnopqrstuvwxyz"


def tiny_net(seed: int = 0, hidden: int = 8, layers: int = 2) -> CheckerNet:
    torch.manual_seed(seed)
    return CheckerNet(ck.CheckerConfig(ALPHABET, hidden, layers, scale=5.0)).eval()


def as_numpy(net: CheckerNet) -> ck.Checker:
    tensors = {k: v.detach().numpy() for k, v in net.state_dict().items()}
    return ck.Checker(net.config, tensors)


def test_numpy_checker_computes_what_the_torch_net_computes_on_a_padded_batch() -> None:
    data = tiny_dataset(6)
    net = tiny_net()
    idx = np.arange(6)
    x, frames, _, _ = make_batch(data, idx, net.config, None)
    with torch.no_grad():
        batch = net(x, frames).numpy()
    numpy_checker = as_numpy(net)
    assert len(set(frames.tolist())) > 1  # the batch really is padded
    together = numpy_checker.log_probs_batch([data.line(int(k)) for k in idx])
    for k in idx:
        alone = numpy_checker.log_probs(data.line(int(k)))
        assert alone.shape == (int(frames[k]), len(ALPHABET) + 1)
        np.testing.assert_allclose(alone, batch[k, : int(frames[k])], atol=1e-4)
        np.testing.assert_allclose(together[k], alone, atol=1e-5)


def test_ctc_loss_matches_torch_including_repeated_letters() -> None:
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


def _trainer(tmp_path: Path, **kw) -> CheckerTrainer:
    data = tiny_dataset(16)
    train, val = data.subset(np.arange(16) < 12), data.subset(np.arange(16) >= 12)
    opts = CheckerOptions(
        out_dir=tmp_path / "out", run_dir=tmp_path / "run", hidden=8, batch_size=4, **kw
    )
    return CheckerTrainer(train, val, ALPHABET, opts)


def test_training_resumes_exactly_and_exports_a_calibrated_checker(tmp_path: Path) -> None:
    straight = _trainer(tmp_path / "a", epochs=2, lr=1e-2)
    straight.run()
    first = _trainer(tmp_path / "b", epochs=2, lr=1e-2, max_batches=4)
    first.run()
    assert (first.epoch, first.batch) == (1, 1)  # 3 batches an epoch: stopped inside epoch 1
    resumed = _trainer(tmp_path / "b", epochs=2, lr=1e-2)
    assert (resumed.epoch, resumed.batch) == (1, 1)
    resumed.run()
    for name, value in straight.net.state_dict().items():
        torch.testing.assert_close(resumed.net.state_dict()[name], value)
    loaded = ck.Checker.load(tmp_path / "a" / "out")
    meta = json.loads((tmp_path / "a" / "out" / ck.CHECKER_CONFIG).read_text())
    assert meta["epochs"] == 2 and loaded.config.threshold > 0
    assert loaded.config.min_margin == 3.0  # the option's default, written with the config
    val = straight.val_data
    judged = loaded.assess_batch([val.line(i) for i in range(len(val))], val.texts)
    scores = [seen.score for seen in judged]
    # the threshold is the median of the validation lines' scores
    assert np.quantile(scores, 0.5) == pytest.approx(loaded.config.threshold, rel=0.02)
    # a finished run given another quantile only recalibrates: same weights, new threshold
    again = _trainer(tmp_path / "a", epochs=2, lr=1e-2, quantile=0.9)
    again.run()
    assert again.epoch == 2
    recalibrated = ck.Checker.load(tmp_path / "a" / "out")
    assert recalibrated.config.threshold == pytest.approx(np.quantile(scores, 0.9), rel=0.02)
    np.testing.assert_array_equal(recalibrated.w_out, loaded.w_out)


def test_a_resumed_run_keeps_the_ink_scale_its_net_learned_with(tmp_path: Path) -> None:
    first = _trainer(tmp_path, epochs=2, max_batches=1)
    first.run()
    data = tiny_dataset(16)
    bigger = iamondb.Dataset(data.offsets * [3, 3, 1], data.starts, data.texts, data.forms)
    train = bigger.subset(np.arange(16) < 12)  # other lines (e.g. new --extra): other scale
    opts = CheckerOptions(tmp_path / "out", tmp_path / "run", hidden=8, batch_size=4)
    assert CheckerTrainer(train, data, ALPHABET, opts).net.config.scale == pytest.approx(
        first.net.config.scale
    )
    fresh = CheckerOptions(tmp_path / "o2", tmp_path / "r2", hidden=8, batch_size=4)
    assert CheckerTrainer(train, data, ALPHABET, fresh).net.config.scale == pytest.approx(
        3 * first.net.config.scale, rel=0.05
    )


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


def test_mutated_batches_are_reproducible_and_change_their_labels() -> None:
    data = tiny_dataset(8)
    chars = [np.minimum(np.arange(len(data.line(i))) // 3, len(data.texts[i]) - 1)
             for i in range(len(data))]  # fmt: skip
    idx = np.arange(8)
    config = ck.CheckerConfig(ALPHABET, 8, 2, scale=5.0)
    plain = make_batch(data, idx, config, None)
    mutations = Mutations(data, chars)
    one = make_batch(data, idx, config, None, (1.0, mutations, np.random.default_rng(3)))
    two = make_batch(data, idx, config, None, (1.0, mutations, np.random.default_rng(3)))
    for a, b in zip(one, two):
        torch.testing.assert_close(a, b)
    assert not torch.equal(one[3], plain[3])  # label counts: every line lost or gained one
    assert torch.all((one[3] - plain[3]).abs() == 1)


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


def test_a_mutating_run_starts_from_a_checker_and_needs_the_alignment(tmp_path: Path) -> None:
    base = _trainer(tmp_path / "a", epochs=1, lr=1e-2)
    base.run()
    data = tiny_dataset(16)
    train, val = data.subset(np.arange(16) < 12), data.subset(np.arange(16) >= 12)
    opts = CheckerOptions(
        tmp_path / "out", tmp_path / "run", hidden=16, batch_size=4, epochs=1, mutate=0.5,
        init=tmp_path / "a" / "out",
    )  # fmt: skip
    with pytest.raises(ValueError, match="alignment"):
        CheckerTrainer(train, val, ALPHABET, opts)
    chars = [np.zeros(len(train.line(i)), np.int16) for i in range(len(train))]
    tuned = CheckerTrainer(train, val, ALPHABET, opts, chars)
    assert tuned.net.config.hidden == 8  # the init checker's size, not the options'
    start = ck.Checker.load(tmp_path / "a" / "out")
    np.testing.assert_allclose(
        tuned.net.out.weight.detach().numpy(), start.w_out, rtol=1e-3, atol=1e-3
    )
    tuned.run()
    assert ck.Checker.load(tmp_path / "out").config.threshold > 0


def test_point_chars_are_kept_and_recomputed_for_other_lines(tmp_path: Path) -> None:
    from .conftest import tiny_model

    data = tiny_dataset(6)
    model = tiny_model()
    cache = tmp_path / "alignment.npz"
    chars = point_chars(model, data, cache)
    assert [len(c) for c in chars] == list(data.lengths())
    assert all(c.min() >= 0 and c.max() < len(t) for c, t in zip(chars, data.texts))
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()  # a cached alignment is read back, not recomputed
    again = point_chars(model, data, cache)
    for a, b in zip(chars, again):
        np.testing.assert_array_equal(a, b)
    fewer = data.subset(np.arange(6) < 4)
    assert len(point_chars(model, fewer, cache)) == 4


def test_a_damaged_checker_file_is_a_one_line_weights_error(tmp_path: Path) -> None:
    tiny = _trainer(tmp_path, epochs=1)
    tiny.run()
    out = tmp_path / "out"
    (out / ck.CHECKER_WEIGHTS).write_bytes(b"not safetensors")
    with pytest.raises(WeightsError, match="legibility checker"):
        ck.Checker.load(out)
    assert not ck.Checker.available(tmp_path / "nowhere")


def test_train_checker_command_writes_a_checker_that_handwrite_then_uses(
    tmp_path: Path, tiny_weights: Path
) -> None:
    import shutil

    from click.testing import CliRunner

    from vpype_handwriting.cli import cli
    from vpype_handwriting.writer import Handwriter

    weights = tmp_path / "weights"
    shutil.copytree(tiny_weights, weights)
    data = tmp_path / "data.npz"
    tiny_dataset(40).save(data)
    args = ["train-checker", "--data", str(data), "--weights", str(weights), "--epochs", "1"]
    args += ["--hidden", "8", "--run-dir", str(tmp_path / "run")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert ck.Checker.available(weights)
    writer = Handwriter.load(weights, "cpu")
    assert isinstance(writer.sample.checker, ck.Checker)
    assert Handwriter.load(weights, "cpu", check=False).sample.checker is None
    assert Handwriter.load(tiny_weights, "cpu").sample.checker is None  # none shipped there

    # fine-tuned from it on lines with letters dropped and doubled, written elsewhere
    before = (weights / ck.CHECKER_WEIGHTS).read_bytes()
    tuned = ["train-checker", "--data", str(data), "--weights", str(weights), "--epochs", "1"]
    tuned += ["--init", str(weights), "--mutate", "0.5", "--out", str(tmp_path / "tuned")]
    tuned += ["--run-dir", str(tmp_path / "run2")]
    result = CliRunner().invoke(cli, tuned)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run2" / "alignment.npz").is_file()
    assert ck.Checker.load(tmp_path / "tuned").config.hidden == 8
    assert (weights / ck.CHECKER_WEIGHTS).read_bytes() == before  # the start is untouched


def test_train_checker_says_when_there_is_nothing_to_validate_on(
    tmp_path: Path, tiny_weights: Path
) -> None:
    from click.testing import CliRunner

    from vpype_handwriting.cli import cli

    data = tmp_path / "data.npz"
    tiny_dataset(12).subset(np.arange(12) < 2).save(data)
    args = ["train-checker", "--data", str(data), "--weights", str(tiny_weights)]
    result = CliRunner().invoke(cli, [*args, "--run-dir", str(tmp_path / "run")])
    assert result.exit_code != 0 and "validation lines" in result.output
    assert "Traceback" not in result.output


def test_inspect_tells_what_the_checker_reads(
    tmp_path: Path, tiny_weights: Path, monkeypatch
) -> None:
    import shutil

    from click.testing import CliRunner
    from safetensors.torch import save_file

    from vpype_handwriting import sampling
    from vpype_handwriting.cli import cli
    from vpype_handwriting.weights import read_meta

    monkeypatch.setattr(sampling, "check_line", lambda *a: None)  # random ink passes

    weights = tmp_path / "weights"
    shutil.copytree(tiny_weights, weights)
    alphabet = read_meta(weights)["config"]["alphabet"]
    torch.manual_seed(0)
    net = CheckerNet(ck.CheckerConfig(alphabet, hidden=8, threshold=50.0, max_misread=99))
    save_file({k: v.contiguous() for k, v in net.state_dict().items()},
              str(weights / ck.CHECKER_WEIGHTS))  # fmt: skip
    (weights / ck.CHECKER_CONFIG).write_text(json.dumps({"config": net.config.to_dict()}))
    out = tmp_path / "inspect.png"
    args = ["inspect", "tea", "--out", str(out), "--weights", str(weights), "--style", "none"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert out.is_file() and "1 attempt(s), ok" in result.output
    assert "checker reads" in result.output  # 50 nats, 99 letters: read, never sent back
    weakest = r"its weakest letter, '[tea]' \(character [123]\), reads -?\d"
    assert re.search(weakest, result.output)
    assert "min_margin" not in result.output  # no margin in this checker's config


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
