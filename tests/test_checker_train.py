"""Training the legibility checker (torch): batches, resuming, fine-tuning on mutated
lines, the train-checker command, and the checker's numpy twin of the torch net."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from .conftest import NEEDS_TORCH, tiny_dataset

torch = pytest.importorskip("torch", reason=NEEDS_TORCH)

from vpype_handwriting import checker as ck  # noqa: E402
from vpype_handwriting.training import iamondb  # noqa: E402
from vpype_handwriting.training.checker_train import (  # noqa: E402
    CheckerNet,
    CheckerOptions,
    CheckerTrainer,
    make_batch,
)
from vpype_handwriting.training.mutations import Mutations, point_chars  # noqa: E402
from vpype_handwriting.weights import WeightsError  # noqa: E402

from .test_checker import ALPHABET, as_numpy, tiny_net  # noqa: E402


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
