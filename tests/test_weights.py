from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from vpype_handwriting.weights import WeightsError, load_weights, save_weights

from .conftest import tiny_model


def copy_weights(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_round_trip_keeps_weights_to_fp16_precision(tmp_path: Path) -> None:
    model = tiny_model(3)
    save_weights(model, tmp_path, {"epochs": 2})
    loaded = load_weights(tmp_path)
    assert loaded.config == model.config
    for key, value in model.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value, atol=1e-3, rtol=1e-3)
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_weights_file(tiny_weights: Path, tmp_path: Path) -> None:
    folder = copy_weights(tiny_weights, tmp_path / "w")
    (folder / "model.safetensors").unlink()
    with pytest.raises(WeightsError, match="model.safetensors is missing"):
        load_weights(folder)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="missing"):
        load_weights(tmp_path / "nothing")


def test_truncated_weights_file(tiny_weights: Path, tmp_path: Path) -> None:
    folder = copy_weights(tiny_weights, tmp_path / "w")
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match="damaged or truncated"):
        load_weights(folder)


def test_weights_that_do_not_match_the_config(tiny_weights: Path, tmp_path: Path) -> None:
    folder = copy_weights(tiny_weights, tmp_path / "w")
    doc = json.loads((folder / "model.json").read_text())
    doc["config"]["hidden"] = 20
    (folder / "model.json").write_text(json.dumps(doc))
    with pytest.raises(WeightsError, match="does not match its config"):
        load_weights(folder)


def test_damaged_config(tiny_weights: Path, tmp_path: Path) -> None:
    folder = copy_weights(tiny_weights, tmp_path / "w")
    (folder / "model.json").write_text("{not json")
    with pytest.raises(WeightsError, match="damaged"):
        load_weights(folder)


def test_shipped_weights_load_and_describe_themselves() -> None:
    from vpype_handwriting.weights import read_meta, shipped_weights

    folder = shipped_weights()
    if not (folder / "model.json").is_file():
        pytest.skip("no shipped weights in this checkout yet")
    meta = read_meta(folder)
    assert "non-commercial" in meta["data_terms"]
    model = load_weights(folder)
    assert model.config.x_height > 0


def test_saved_weights_get_the_usual_file_permissions(tmp_path: Path) -> None:
    import os
    import stat

    save_weights(tiny_model(), tmp_path, {"epochs": 1})
    umask = os.umask(0)
    os.umask(umask)
    for name in ("model.safetensors", "model.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name


def test_average_is_the_mean_of_the_epochs_weights(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from vpype_handwriting.cli.tools import cli

    models = [tiny_model(seed) for seed in (1, 2, 3)]
    for k, model in enumerate(models):
        save_weights(model, tmp_path / str(k), {"epochs": 35 + k, "steps": 100 * k})
    folders = [str(tmp_path / str(k)) for k in range(3)]
    out, no_data = str(tmp_path / "avg"), str(tmp_path / "no-data.npz")
    result = CliRunner().invoke(cli, ["average", *folders, "--out", out, "--data", no_data])
    assert result.exit_code == 0, result.output
    assert "not measured" in result.output
    averaged = load_weights(tmp_path / "avg")
    for key, value in averaged.state_dict().items():
        mean = torch.stack(
            [load_weights(tmp_path / str(k)).state_dict()[key] for k in range(3)]
        )
        torch.testing.assert_close(value, mean.mean(0), atol=2e-3, rtol=2e-3)
    meta = json.loads((tmp_path / "avg" / "model.json").read_text())
    assert meta["averaged_epochs"] == [35, 36, 37]
    assert (meta["epochs"], meta["steps"]) == (37, 200)  # where the run stands: resumable


def test_average_refuses_weights_of_other_networks(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from vpype_handwriting.cli.tools import cli

    save_weights(tiny_model(1), tmp_path / "a", {"epochs": 1})
    save_weights(tiny_model(1, hidden=12), tmp_path / "b", {"epochs": 2})
    result = CliRunner().invoke(
        cli,
        ["average", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "c")],
    )
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "another config" in result.output and not (tmp_path / "c").exists()
    result = CliRunner().invoke(cli, ["average", str(tmp_path / "a"), "--out", str(tmp_path)])
    assert result.exit_code != 0 and "two or more" in result.output
