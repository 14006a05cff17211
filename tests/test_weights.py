from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors.numpy import load_file, save_file

from vpype_handwriting.config import ModelConfig
from vpype_handwriting.numpy_net import NumpyNet
from vpype_handwriting.weights import (
    WeightsError,
    expected_shapes,
    load_weights,
    save_arrays,
    save_weights,
)

from .conftest import HAS_TORCH, random_arrays, requires_torch, tiny_config, tiny_model


def fields_of_config() -> list[str]:
    return [f.name for f in fields(ModelConfig)]


def copy_weights(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@requires_torch
def test_round_trip_keeps_weights_to_fp16_precision(tmp_path: Path) -> None:
    import torch

    model = tiny_model(3)
    save_weights(model, tmp_path, {"epochs": 2})
    loaded = load_weights(tmp_path)
    assert loaded.config == model.config
    for key, value in model.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value, atol=1e-3, rtol=1e-3)
    assert not list(tmp_path.glob("*.tmp"))


def test_weights_saved_from_numpy_arrays_are_those_saved_from_the_torch_model(
    tmp_path: Path,
) -> None:
    model = tiny_model(2)
    save_weights(model, tmp_path / "torch", {"epochs": 1})
    arrays = {k: v.numpy() for k, v in model.state_dict().items()}
    save_arrays(arrays, model.config, tmp_path / "numpy", {"epochs": 1})
    for name in ("model.safetensors", "model.json"):
        assert (tmp_path / "numpy" / name).read_bytes() == (
            tmp_path / "torch" / name
        ).read_bytes()


def test_random_test_weights_are_drawn_like_the_torch_models_own() -> None:
    """The torch-free test weights (conftest) have the torch model's layers, each spread
    as torch's initialization spreads it."""
    config = tiny_config(hidden=64)
    state = {k: v.numpy() for k, v in tiny_model(hidden=64).state_dict().items()}
    arrays = random_arrays(config)
    assert {k: v.shape for k, v in arrays.items()} == {k: v.shape for k, v in state.items()}
    for name, value in state.items():
        assert arrays[name].std() == pytest.approx(value.std(), rel=0.2, abs=1e-6), name
        assert np.abs(arrays[name]).mean() == pytest.approx(np.abs(value).mean(), rel=0.2)


def test_missing_weights_file(tiny_weights: Path, tmp_path: Path) -> None:
    folder = copy_weights(tiny_weights, tmp_path / "w")
    (folder / "model.safetensors").unlink()
    for load in loaders():
        with pytest.raises(WeightsError, match="model.safetensors is missing"):
            load(folder)


def test_missing_folder(tmp_path: Path) -> None:
    for load in loaders():
        with pytest.raises(WeightsError, match="missing"):
            load(tmp_path / "nothing")


def test_truncated_weights_file(tiny_weights: Path, tmp_path: Path) -> None:
    folder = copy_weights(tiny_weights, tmp_path / "w")
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 2])
    for load in loaders():
        with pytest.raises(WeightsError, match="damaged or truncated"):
            load(folder)


def edit_config(folder: Path, edit: Callable[[dict], object]) -> Path:
    doc = json.loads((folder / "model.json").read_text())
    edit(doc)
    (folder / "model.json").write_text(json.dumps(doc))
    return folder


def loaders() -> list[Callable[[Path], object]]:
    """Both engines' loaders: the numpy net (CPU writing) and, where torch is installed,
    the torch model."""
    return [NumpyNet.load, load_weights] if HAS_TORCH else [NumpyNet.load]


@pytest.mark.parametrize(
    ("key", "value", "layer"),
    [
        ("hidden", 20, "cell1.weight_ih"),
        ("mixtures", 5, "head.weight"),
        ("window_k", 3, "window.proj.weight"),
        ("alphabet", "abc", "cell1.weight_ih"),
    ],
)
def test_weights_that_do_not_match_the_config(
    tiny_weights: Path, tmp_path: Path, key: str, value: object, layer: str
) -> None:
    folder = copy_weights(tiny_weights, tmp_path / "w")
    edit_config(folder, lambda doc: doc["config"].__setitem__(key, value))
    config = ModelConfig.from_dict({**tiny_config().to_dict(), key: value})
    have = tuple(load_file(str(tiny_weights / "model.safetensors"))[layer].shape)
    want = expected_shapes(config)[layer]
    message = (
        f"weights in {folder} do not match their model.json: layer {layer} has shape "
        f"{have}, expected {want}"
    )
    for load in loaders():
        with pytest.raises(WeightsError) as exc:
            load(folder)
        assert str(exc.value) == message


def test_expected_shapes_are_the_torch_models() -> None:
    for kw in ({}, {"hidden": 7, "mixtures": 2, "window_k": 5, "alphabet": "ab"}):
        state = tiny_model(**kw).state_dict()
        assert expected_shapes(tiny_config(**kw)) == {
            k: tuple(v.shape) for k, v in state.items()
        }


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda doc: doc["config"].pop("alphabet"), "lacks alphabet"),
        (lambda doc: doc["config"].pop("hidden"), "lacks hidden"),
        (lambda doc: doc.pop("config"), 'no "config"'),
        (lambda doc: doc.__setitem__("config", [1, 2]), 'no "config"'),
        (lambda doc: doc["config"].__setitem__("hidden", "x"), "hidden is 'x'"),
        (lambda doc: doc["config"].__setitem__("hidden", 0), "hidden is 0"),
        (lambda doc: doc["config"].__setitem__("hidden", 16.5), "hidden is 16.5"),
        (lambda doc: doc["config"].__setitem__("mixtures", True), "mixtures is True"),
        (lambda doc: doc["config"].__setitem__("alphabet", ""), "alphabet"),
        (lambda doc: doc["config"].__setitem__("alphabet", 7), "alphabet"),
        (lambda doc: doc["config"].__setitem__("kappa_scale", float("nan")), "kappa_scale"),
        (lambda doc: doc["config"].__setitem__("kappa_scale", 0), "more than 0"),
        (lambda doc: doc["config"].__setitem__("offset_std", [1.0]), "offset_std"),
        (lambda doc: doc["config"].__setitem__("offset_std", [1, -1]), "more than 0"),
        (lambda doc: doc["config"].__setitem__("x_height", "big"), "x_height"),
        (lambda doc: doc["config"].__setitem__("hidden", 10**400), "hidden"),
    ],
)
def test_a_damaged_model_json_is_one_line_naming_the_file(
    tiny_weights: Path, tmp_path: Path, damage: Callable[[dict], object], words: str
) -> None:
    folder = edit_config(copy_weights(tiny_weights, tmp_path / "w"), damage)
    for load in loaders():
        with pytest.raises(WeightsError) as exc:
            load(folder)
        message = str(exc.value)
        assert str(folder / "model.json") in message and words in message
        assert "\n" not in message


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda t: t.pop("head.bias"), "layer head.bias is missing"),
        (lambda t: t.__setitem__("extra.weight", np.zeros(2, np.float16)), "no layer extra"),
        (lambda t: t["head.bias"].__setitem__(0, np.nan), "head.bias holds values"),
        (lambda t: t.__setitem__("offset_std", np.array([1, 0], np.float16)), "offset_std"),
        (lambda t: t.__setitem__("head.bias", t["head.bias"].astype(np.int32)), "head.bias"),
    ],
)
def test_damaged_tensors_are_one_line_naming_the_layer(
    tiny_weights: Path, tmp_path: Path, damage: Callable[[dict], object], words: str
) -> None:
    folder = copy_weights(tiny_weights, tmp_path / "w")
    tensors = dict(load_file(str(folder / "model.safetensors")))
    damage(tensors)
    save_file(tensors, str(folder / "model.safetensors"))
    for load in loaders():
        with pytest.raises(WeightsError, match=f"weights in {folder} do not match") as exc:
            load(folder)
        assert words in str(exc.value)


def test_handwrite_with_damaged_weights_is_a_one_line_error(
    tiny_weights: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner
    from vpype_cli import cli as vpype

    damages: list[Callable[[dict], object]] = [
        lambda doc: doc["config"].__setitem__("hidden", 20),
        lambda doc: doc["config"].__setitem__("hidden", "x"),
        lambda doc: doc["config"].pop("alphabet"),
        lambda doc: doc["config"].__setitem__("mixtures", 5),
    ]
    for k, damage in enumerate(damages):
        folder = edit_config(copy_weights(tiny_weights, tmp_path / str(k)), damage)
        result = CliRunner().invoke(
            vpype, ["handwrite", "--weights", str(folder), "--style", "none", "hi"]
        )
        assert result.exit_code != 0 and isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.output and "model.json" in result.output


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    key=st.sampled_from([*fields_of_config(), "config", "other"]),
    value=json_values,
)
def test_any_config_value_loads_or_is_a_weights_error(
    tiny_weights: Path, tmp_path_factory: pytest.TempPathFactory, key: str, value: object
) -> None:
    folder = copy_weights(tiny_weights, tmp_path_factory.mktemp("fuzz") / "w")
    target = (lambda doc: doc) if key in ("config", "other") else (lambda doc: doc["config"])
    edit_config(folder, lambda doc: target(doc).__setitem__(key, value))
    try:
        NumpyNet.load(folder)
    except WeightsError as exc:
        assert "\n" not in str(exc)


def test_damaged_config(tiny_weights: Path, tmp_path: Path) -> None:
    folder = copy_weights(tiny_weights, tmp_path / "w")
    (folder / "model.json").write_text("{not json")
    for load in loaders():
        with pytest.raises(WeightsError, match="damaged"):
            load(folder)


def test_shipped_weights_load_and_describe_themselves() -> None:
    from vpype_handwriting.weights import read_meta, shipped_weights

    folder = shipped_weights()
    if not (folder / "model.json").is_file():
        pytest.skip("no shipped weights in this checkout yet")
    meta = read_meta(folder)
    assert "non-commercial" in meta["data_terms"]
    for load in loaders():
        assert load(folder).config.x_height > 0


def test_saved_weights_get_the_usual_file_permissions(tmp_path: Path) -> None:
    import os
    import stat

    save_weights(tiny_model(), tmp_path, {"epochs": 1})
    umask = os.umask(0)
    os.umask(umask)
    for name in ("model.safetensors", "model.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name


@requires_torch
def test_average_is_the_mean_of_the_epochs_weights(tmp_path: Path) -> None:
    import torch
    from click.testing import CliRunner

    from vpype_handwriting.cli import cli

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

    from vpype_handwriting.cli import cli

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


def test_the_weights_environment_variable_names_the_default_weights(
    tiny_weights: Path, tmp_path: Path, monkeypatch
) -> None:
    import subprocess
    import sys

    from vpype_handwriting.weights import WEIGHTS_ENV, default_weights, shipped_weights

    monkeypatch.delenv(WEIGHTS_ENV, raising=False)
    assert default_weights() == shipped_weights()
    monkeypatch.setenv(WEIGHTS_ENV, str(tiny_weights))
    assert default_weights() == tiny_weights
    out = tmp_path / "o.svg"
    proc = subprocess.run(
        [sys.executable, "-c", "from vpype_cli.cli import cli; cli()", "handwrite",
         "--style", "none", "--seed", "1", "hello", "write", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path / "nowhere"))
    proc = subprocess.run(
        [sys.executable, "-c", "from vpype_cli.cli import cli; cli()", "handwrite", "hi"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode != 0 and "nowhere" in proc.stderr and "Traceback" not in proc.stderr
