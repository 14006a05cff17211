from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from .conftest import NEEDS_TORCH, tiny_dataset

torch = pytest.importorskip("torch", reason=NEEDS_TORCH)

from vpype_handwriting.training.batches import epoch_batches  # noqa: E402
from vpype_handwriting.training.train import Trainer, TrainOptions, train  # noqa: E402
from vpype_handwriting.weights import load_weights, read_meta  # noqa: E402


def options(tmp_path: Path, **kw) -> TrainOptions:
    base = dict(
        run_dir=tmp_path / "run", hidden=12, batch_size=4, lr=3e-3, checkpoint_minutes=999
    )
    base.update(kw)
    return TrainOptions(**base)


def test_batches_are_length_bucketed_and_fixed_by_seed_and_epoch() -> None:
    data = tiny_dataset(40)
    a = epoch_batches(data, 8, seed=1, epoch=3)
    assert [b.tolist() for b in a] == [b.tolist() for b in epoch_batches(data, 8, 1, 3)]
    assert [b.tolist() for b in a] != [b.tolist() for b in epoch_batches(data, 8, 1, 4)]
    assert sorted(np.concatenate(a).tolist()) == list(range(40))
    lengths = data.lengths()
    spread = np.mean([np.ptp(lengths[b]) for b in a])
    assert spread < np.ptp(lengths) / 2


def test_lines_with_rare_characters_come_more_often() -> None:
    from vpype_handwriting.training.batches import rare_repeats

    data = tiny_dataset(40)
    data.texts[5] = "tea at 8"  # the only digit: rare
    data.texts[9] = "Zzz"
    repeats = rare_repeats(data, 3, rare_count=2)  # seen once: rare
    assert np.flatnonzero(repeats == 3).tolist() == [5, 9] and repeats.sum() == 44
    batches = epoch_batches(data, 8, 1, 3, repeats)
    seen = np.bincount(np.concatenate(batches), minlength=40)
    assert seen.tolist() == repeats.tolist()
    assert rare_repeats(data, 1).tolist() == [1] * 40


def test_focus_chars_are_repeated_and_weighted_as_rare_ones() -> None:
    from vpype_handwriting.training.batches import char_weights

    data = tiny_dataset(40)
    common = [i for i, t in enumerate(data.texts) if "k" in t]  # "cake", "ink": common
    assert len(common) > 5 and not (rare_repeats_of(data, "") == 3).any()
    assert np.flatnonzero(rare_repeats_of(data, "k") == 3).tolist() == common
    weights = char_weights(data, data.alphabet(), 3.0, rare_count=2, also="k")
    k = data.alphabet().index("k") + 2
    assert weights[k] == 3.0 and (weights == 3.0).sum() == 1


def rare_repeats_of(data, also: str) -> np.ndarray:
    from vpype_handwriting.training.batches import rare_repeats

    return rare_repeats(data, 3, rare_count=2, also=also)


def straight_and_resumed(
    tmp_path: Path, stop_after: int, resume_kw: dict | None = None, **kw
) -> tuple[Trainer, Trainer]:
    """Two epochs run straight, and the same run stopped after ``stop_after`` batches and
    resumed from its checkpoint (with ``resume_kw`` as the resumed run's options, default
    the same as the first's)."""
    data = tiny_dataset()
    straight = Trainer(data, data, options(tmp_path / "a", epochs=2, **kw))
    straight.run()
    first = Trainer(
        data, data, options(tmp_path / "b", epochs=2, max_batches=stop_after, **kw)
    )
    first.run()
    assert first.step == stop_after  # stopped mid-run, checkpoint written
    resume_kw = kw if resume_kw is None else resume_kw
    resumed = Trainer(data, data, options(tmp_path / "b", epochs=2, resume=True, **resume_kw))
    assert resumed.step == stop_after
    resumed.run()
    assert resumed.step == straight.step
    for key, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key
    return straight, resumed


def test_resume_continues_bit_identically(tmp_path: Path) -> None:
    straight, resumed = straight_and_resumed(tmp_path, stop_after=4)
    for a, b in zip(straight.optimizer.state.values(), resumed.optimizer.state.values()):
        assert torch.equal(a["exp_avg"], b["exp_avg"])

    # the log of the epoch the run stopped in: its training NLL over all its batches
    def rows(run: str) -> list[dict]:
        text = (tmp_path / run / "run" / "training_log.csv").read_text()
        return [
            {k: v for k, v in r.items() if k != "seconds"}
            for r in csv.DictReader(text.splitlines())
        ]

    assert rows("a") == rows("b") and len(rows("a")) == 2


def test_checkpoint_is_written_atomically_and_loads_without_pickle(tmp_path: Path) -> None:
    data = tiny_dataset()
    trainer = Trainer(data, data, options(tmp_path, epochs=1, export_dir=tmp_path / "w"))
    trainer.run()
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint.pt", "training_log.csv"]
    ckpt = torch.load(run / "checkpoint.pt", weights_only=True)
    assert ckpt["epoch"] == 1 and ckpt["step"] == 3
    rows = list(csv.DictReader((tmp_path / "w" / "training_log.csv").read_text().splitlines()))
    assert [int(r["epoch"]) for r in rows] == [1]
    assert float(rows[0]["val_nll_line"]) == pytest.approx(trainer.best_val, abs=0.01)
    meta = read_meta(tmp_path / "w")
    assert meta["config"]["x_height"] > 0 and meta["epochs"] == 1
    assert "non-commercial" in meta["data_terms"]


def test_training_lowers_validation_loss_and_resumes_from_weights(tmp_path: Path) -> None:
    data = tiny_dataset()
    trainer = Trainer(data, data, options(tmp_path, epochs=6, export_dir=tmp_path / "w"))
    trainer.run()
    rows = list(csv.DictReader((tmp_path / "w" / "training_log.csv").read_text().splitlines()))
    assert float(rows[-1]["val_nll_line"]) < float(rows[0]["val_nll_line"])
    again = Trainer(data, data, options(tmp_path / "x", epochs=7, init=tmp_path / "w"))
    assert again.epoch == 6
    model = load_weights(tmp_path / "w")
    for key, value in model.state_dict().items():  # fp16 copy of the trained weights
        torch.testing.assert_close(
            value, trainer.model.state_dict()[key], atol=2e-3, rtol=2e-3
        )


def test_time_limit_stops_cleanly(tmp_path: Path) -> None:
    data = tiny_dataset()
    path = tmp_path / "data.npz"
    data.save(path)
    trainer = train(path, options(tmp_path, epochs=1000, time_limit=0.0))
    assert trainer.step == 1
    assert (tmp_path / "run" / "checkpoint.pt").is_file()


def test_evaluate_command_reports_validation_nll(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from vpype_handwriting.cli import cli

    data = tiny_dataset(40)
    path = tmp_path / "data.npz"
    data.save(path)
    Trainer(data, data, options(tmp_path, epochs=1, export_dir=tmp_path / "w")).run()
    result = CliRunner().invoke(
        cli, ["evaluate", "--data", str(path), "--weights", str(tmp_path / "w")]
    )
    assert result.exit_code == 0, result.output
    _, val = data.split()
    assert f"{len(val)} validation lines" in result.output and "nats/point" in result.output


def test_only_improved_weights_are_exported(tmp_path: Path, monkeypatch) -> None:
    from vpype_handwriting.training import train as train_module

    data = tiny_dataset()
    trainer = Trainer(data, data, options(tmp_path, export_dir=tmp_path / "w"))
    vals = iter([(50.0, 0.5), (60.0, 0.6), (40.0, 0.4)])
    monkeypatch.setattr(train_module, "evaluate", lambda *a: next(vals))
    exported = []
    monkeypatch.setattr(trainer, "export", lambda folder: exported.append(trainer.epoch))
    for _ in range(3):
        trainer.end_epoch()
    assert exported == [1, 3] and trainer.best_val == 40.0


def test_dropout_trains_only_and_resumes_exactly(tmp_path: Path) -> None:
    _, resumed = straight_and_resumed(tmp_path, 4, resume_kw={}, dropout=0.3)
    assert resumed.model.config.dropout == 0.3  # kept from the checkpoint
    model = resumed.model.eval()
    x = torch.randn(1, 5, 3)
    text = torch.tensor([[5, 6, 1]])
    a, _, _ = model(x, text)
    b, _, _ = model(x, text)
    assert torch.equal(a.mu, b.mu)  # no dropout when sampling


def test_bf16_probe_matches_what_autocast_can_run() -> None:
    from vpype_handwriting.training.evaluation import bf16_works

    lstm = torch.nn.LSTM(3, 5, batch_first=True)
    try:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            lstm(torch.zeros(2, 4, 3))
        runs = True
    except RuntimeError:  # AVX2-only CPUs: no oneDNN bf16 LSTM
        runs = False
    assert bf16_works("cpu") == runs


def test_bf16_where_it_cannot_run_trains_in_fp32(tmp_path: Path, monkeypatch) -> None:
    from vpype_handwriting.training import evaluation

    monkeypatch.setattr(evaluation, "bf16_works", lambda device_type: False)
    data = tiny_dataset()
    runs = [
        Trainer(data, data, options(tmp_path / name, max_batches=2, bf16=bf16))
        for name, bf16 in (("fp32", False), ("bf16", True))
    ]
    for trainer in runs:
        trainer.run()
    for key, value in runs[0].model.state_dict().items():
        torch.testing.assert_close(runs[1].model.state_dict()[key], value)


def test_augmentation_slants_and_stretches_each_line_but_keeps_pen_and_padding() -> None:
    from vpype_handwriting.training.batches import augment_lines, make_batch

    data = tiny_dataset()
    idx = np.arange(4)
    plain, mask, _ = make_batch(data, idx, data.alphabet(), torch.device("cpu"))
    rng = np.random.default_rng(5)
    bent, mask2, _ = make_batch(
        data, idx, data.alphabet(), torch.device("cpu"), (0.2, np.random.default_rng(5))
    )
    assert torch.equal(mask, mask2)
    assert torch.equal(plain[:, :, 2], bent[:, :, 2])
    assert torch.all(bent[mask == 0] == 0)
    # each line is one affine map of its own: solve it from the points and check its range
    shear = rng.uniform(-0.2, 0.2, 4)
    sx, sy = np.exp(rng.uniform(-0.2, 0.2, 4)), np.exp(rng.uniform(-0.1, 0.1, 4))
    p, b = plain.numpy(), bent.numpy()
    for row in range(4):
        np.testing.assert_allclose(
            b[row, :, 0], sx[row] * (p[row, :, 0] - shear[row] * p[row, :, 1]), atol=1e-5
        )
        np.testing.assert_allclose(b[row, :, 1], sy[row] * p[row, :, 1], atol=1e-5)
    assert len(set(np.round(shear, 6))) == 4  # a different slant for every line
    same = p.copy()
    augment_lines(same, 0.0, np.random.default_rng(0))
    assert np.array_equal(same, p)


def test_resume_with_augmentation_continues_bit_identically(tmp_path: Path) -> None:
    straight, _ = straight_and_resumed(tmp_path, 3, augment=0.15)
    data = tiny_dataset()
    plain = Trainer(data, data, options(tmp_path / "c", epochs=2))
    plain.run()
    assert any(
        not torch.equal(value, plain.model.state_dict()[key])
        for key, value in straight.model.state_dict().items()
    )


def test_rare_weight_weighs_rare_characters_and_logs_the_plain_nll(tmp_path: Path) -> None:
    from collections import Counter

    from vpype_handwriting.model import sequence_loss
    from vpype_handwriting.training.batches import char_weights, make_batch

    data = tiny_dataset()
    counts = Counter("".join(data.texts))
    weights = char_weights(data, data.alphabet(), 3.0, rare_count=10)
    assert weights[:2].tolist() == [1.0, 1.0]  # padding and END
    for i, c in enumerate(data.alphabet()):
        assert weights[i + 2] == (3.0 if counts[c] < 10 else 1.0), c
    assert 1.0 in weights[2:] and 3.0 in weights[2:]
    runs = {}
    for w in (1.0, 3.0):
        trainer = Trainer(data, data, options(tmp_path / str(w), rare_weight=w, max_batches=1))
        idx = epoch_batches(data, 4, 0, 0)[0]
        offsets, mask, text = make_batch(data, idx, data.alphabet(), torch.device("cpu"))
        with torch.no_grad():
            plain = float(sequence_loss(trainer.model, offsets, mask, text) / mask.sum())
        assert trainer.train_batch(idx) == pytest.approx(plain, rel=1e-5)  # logged unweighted
        runs[w] = trainer.model.state_dict()
    assert any(not torch.equal(runs[1.0][k], runs[3.0][k]) for k in runs[1.0])


def test_keep_epochs_writes_every_epochs_weights_with_its_own_validation(
    tmp_path: Path, monkeypatch
) -> None:
    from vpype_handwriting.training import train as train_module

    data = tiny_dataset()
    trainer = Trainer(data, data, options(tmp_path, keep_epochs=True))
    vals = iter([(50.0, 0.5), (60.0, 0.6)])
    monkeypatch.setattr(train_module, "evaluate", lambda *a: next(vals))
    trainer.end_epoch()
    trainer.end_epoch()  # worse than the first: kept all the same
    epochs = tmp_path / "run" / "epochs"
    assert sorted(p.name for p in epochs.iterdir()) == ["1", "2"]
    assert [read_meta(epochs / n)["val_nll_line"] for n in "12"] == [50.0, 60.0]
    assert trainer.best_val == 50.0
    model = load_weights(epochs / "2")
    for name, tensor in trainer.model.state_dict().items():  # the epoch's own weights
        assert torch.allclose(model.state_dict()[name], tensor.half().float())


def test_averaged_weights_carry_their_measured_validation_nll(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from vpype_handwriting.cli import cli
    from vpype_handwriting.training.evaluation import validation_nll

    data = tiny_dataset(40)
    path = tmp_path / "data.npz"
    data.save(path)
    run = tmp_path / "run"
    Trainer(data, data, options(tmp_path, epochs=2, keep_epochs=True)).run()
    epochs = [str(run / "epochs" / n) for n in "12"]
    result = CliRunner().invoke(
        cli, ["average", *epochs, "--out", str(tmp_path / "avg"), "--data", str(path)]
    )
    assert result.exit_code == 0, result.output
    _, val = data.split()
    expected, _ = validation_nll(load_weights(tmp_path / "avg"), val)
    assert read_meta(tmp_path / "avg")["val_nll_line"] == pytest.approx(expected, abs=0.01)
    assert read_meta(tmp_path / "avg")["averaged_epochs"] == [1, 2]


def test_back_jumps_marks_only_pen_up_moves_to_the_left() -> None:
    from vpype_handwriting.training.batches import back_jumps

    # a stroke, a lift, a move back left (a late cross), a lift, a move on to the right,
    # and a pen-down step to the left, which is no jump
    rows = [[0, 0, 0], [1, 1, 0], [1, -1, 1], [-3, 0, 0], [2, 2, 1], [5, 0, 0], [-1, 0, 0]]
    offsets = torch.tensor([rows], dtype=torch.float32)
    assert back_jumps(offsets)[0].tolist() == [False, False, False, True, False, False, False]
    assert not back_jumps(offsets[:, :1]).any()  # the first point follows no lift


def test_jump_weight_weighs_the_back_jumps_and_logs_the_plain_nll(tmp_path: Path) -> None:
    from vpype_handwriting.model import sequence_loss
    from vpype_handwriting.training.batches import back_jumps, make_batch

    data = tiny_dataset()
    idx = epoch_batches(data, 4, 0, 0)[0]
    lifts = [k for k in idx if data.line(k)[:-1, 2].any()]  # a line of two words or more
    line = data.line(lifts[0])  # a view: send its move to the second word back left
    line[np.flatnonzero(line[:-1, 2])[0] + 1, 0] *= -1
    offsets, mask, text = make_batch(data, idx, data.alphabet(), torch.device("cpu"))
    assert int((back_jumps(offsets) & mask.bool()).sum()) == 1
    runs = {}
    for w in (1.0, 5.0):
        trainer = Trainer(data, data, options(tmp_path / str(w), jump_weight=w, max_batches=1))
        with torch.no_grad():
            plain = float(sequence_loss(trainer.model, offsets, mask, text) / mask.sum())
        assert trainer.train_batch(idx) == pytest.approx(plain, rel=1e-5)  # logged unweighted
        runs[w] = trainer.model.state_dict()
    assert any(not torch.equal(runs[1.0][k], runs[5.0][k]) for k in runs[1.0])
