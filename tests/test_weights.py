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
