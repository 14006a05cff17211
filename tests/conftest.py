"""Shared fixtures: tiny IAM-format data written on the fly and tiny random-weight models."""

from __future__ import annotations

import importlib.util
import os
import string
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("OMP_NUM_THREADS", "1")  # tiny models: one thread, also in subprocesses

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from vpype_handwriting.config import ModelConfig  # noqa: E402
from vpype_handwriting.numpy_net import NumpyNet  # noqa: E402
from vpype_handwriting.training import iamondb  # noqa: E402
from vpype_handwriting.weights import expected_shapes, save_arrays  # noqa: E402

if TYPE_CHECKING:
    from vpype_handwriting.model import HandwritingModel

#: Writing runs on numpy; the torch model, training and the torch engine need the extra.
NEEDS_TORCH = "needs PyTorch: pip install 'vpype-handwriting[train]'"
HAS_TORCH = importlib.util.find_spec("torch") is not None
requires_torch = pytest.mark.skipif(not HAS_TORCH, reason=NEEDS_TORCH)

if HAS_TORCH:
    import torch

    torch.set_num_threads(1)

ALPHABET = "".join(sorted(set(string.ascii_letters + string.digits + " .,;:!?'\"()-#%&*+/[]")))


def glyph_strokes(text: str, x0: float = 100.0, y0: float = 500.0) -> list[np.ndarray]:
    """Deterministic fake handwriting: one wavy stroke per word, 40 units per character."""
    strokes = []
    x = x0
    for word in text.split(" "):
        n = max(len(word), 1) * 6
        xs = x + np.linspace(0, 40 * len(word), n)
        ys = y0 - 15 * (1 - np.cos(2 * np.pi * np.arange(n) / 6))  # y grows downward
        strokes.append(np.stack([xs, ys], axis=1))
        x = xs[-1] + 40
    return strokes


def stroke_xml(strokes: list[np.ndarray]) -> str:
    body = "".join(
        "<Stroke>"
        + "".join(f'<Point x="{x:.0f}" y="{y:.0f}" time="0"/>' for x, y in s)
        + "</Stroke>"
        for s in strokes
    )
    return (
        f'<?xml version="1.0"?><WhiteboardCaptureSession><StrokeSet>{body}</StrokeSet>'
        "</WhiteboardCaptureSession>"
    )


FORMS = {
    "a01-000u": ["A MOVE to stop", "Mr Gaitskell from", "nominating any more"],
    "a01-001w": ["Labour life Peers", "is to be made"],  # 3 xml files below: one extra
    "b02-010x": ["at a meeting of", "Labour M Ps", "tomorrow ."],  # only 2 xml files
}


def write_iam(root: Path) -> Path:
    """A tiny IAM-OnDB tree: 3 forms with the database's usual mismatches."""
    xml_counts = {"a01-000u": 3, "a01-001w": 3, "b02-010x": 2}
    for form, lines in FORMS.items():
        top, mid = form[:3], form[:7]
        ascii_dir = root / "ascii" / top / mid
        ascii_dir.mkdir(parents=True, exist_ok=True)
        (ascii_dir / f"{form}.txt").write_text(
            "OCR:\n\nignored\n\nCSR:\n\n" + "\n".join(lines)
        )
        stroke_dir = root / "lineStrokes" / top / mid
        stroke_dir.mkdir(parents=True, exist_ok=True)
        for k in range(1, xml_counts[form] + 1):
            text = lines[k - 1] if k <= len(lines) else "extra"
            (stroke_dir / f"{form}-{k:02d}.xml").write_text(stroke_xml(glyph_strokes(text)))
    orphan = root / "lineStrokes" / "z09" / "z09-999"
    orphan.mkdir(parents=True)
    (orphan / "z09-999a-01.xml").write_text(stroke_xml(glyph_strokes("orphan")))
    return root


def tiny_dataset(n: int = 12) -> iamondb.Dataset:
    """Prepared lines of fake handwriting, as ``prepare`` leaves them (numpy only)."""
    words = ["tea", "cake", "ink", "pen", "dear", "tom", "yes"]
    texts = [" ".join(words[(i + k) % len(words)] for k in range(1 + i % 3)) for i in range(n)]
    parts = [iamondb.preprocess(glyph_strokes(t)) for t in texts]
    starts = np.concatenate([[0], np.cumsum([len(p) for p in parts])])
    return iamondb.Dataset(
        np.vstack(parts), starts, texts, [f"f{i:02d}-000u" for i in range(n)]
    )


@pytest.fixture
def iam_dir(tmp_path: Path) -> Path:
    return write_iam(tmp_path / "iam")


def tiny_config(**kw) -> ModelConfig:
    base = dict(
        alphabet=ALPHABET,
        hidden=16,
        window_k=2,
        mixtures=3,
        kappa_scale=6.0,
        offset_std=[1.5, 1.5],
        x_height=3.0,
        char_width=5.0,
    )
    base.update(kw)
    return ModelConfig(**base)


def tiny_model(seed: int = 0, **kw) -> HandwritingModel:
    """A random-weight torch model; a test that calls it is skipped where torch is not
    installed."""
    torch = pytest.importorskip("torch", reason=NEEDS_TORCH)

    from vpype_handwriting.model import HandwritingModel

    torch.manual_seed(seed)
    return HandwritingModel(tiny_config(**kw)).eval()


def random_arrays(config: ModelConfig, seed: int = 0) -> dict[str, np.ndarray]:
    """Random weights for ``config`` as numpy arrays: the torch model's state dict (names
    and shapes), drawn as torch initializes it: the LSTMs uniform within ±1/sqrt(hidden),
    the output layer within ±1/sqrt(3 hidden) (its inputs), the window's projection
    N(0, 0.01²) with a zero bias (as ``model.Window`` sets them)."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for name, shape in expected_shapes(config).items():
        if name == "offset_std":
            arrays[name] = np.asarray(config.offset_std, dtype=np.float32)
        elif name == "window.proj.weight":
            arrays[name] = rng.normal(0.0, 0.01, shape).astype(np.float32)
        elif name == "window.proj.bias":
            arrays[name] = np.zeros(shape, dtype=np.float32)
        else:
            fan_in = 3 * config.hidden if name.startswith("head.") else config.hidden
            bound = 1 / np.sqrt(fan_in)
            arrays[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return arrays


def tiny_numpy_net(seed: int = 0, **kw) -> NumpyNet:
    """A random-weight net for the numpy engine, without torch (see :func:`random_arrays`)."""
    config = tiny_config(**kw)
    return NumpyNet(config, random_arrays(config, seed))


def as_numpy(model: HandwritingModel):
    """The same network as a :class:`NumpyNet` (the CPU sampling engine)."""
    return NumpyNet(model.config, {k: v.numpy() for k, v in model.state_dict().items()})


@pytest.fixture(params=["numpy", "torch"])
def backend(request: pytest.FixtureRequest):
    """Run a sampling test on both engines: ``backend(model)`` is the net to sample with
    (both start from a torch :func:`tiny_model`: such tests are :data:`requires_torch`)."""
    return as_numpy if request.param == "numpy" else (lambda model: model)


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight model small enough to sample whole pages in a blink, written as
    ``save_weights`` writes one (no torch needed)."""
    folder = tmp_path_factory.mktemp("weights")
    config = tiny_config()
    save_arrays(random_arrays(config), config, folder, {"epochs": 0, "val_nll_line": None})
    return folder


def handwrite_twice(weights: Path, text: str, folder: Path, caplog) -> list[str]:
    """``text`` written twice by ``handwrite`` with one seed (SVG text, file name aside),
    checking that neither run said it changed a character."""
    import logging

    from click.testing import CliRunner
    from vpype_cli.cli import cli as vpype

    outs = []
    for k in range(2):
        out = folder / f"{k}.svg"
        with caplog.at_level(logging.WARNING):
            result = CliRunner().invoke(
                vpype,
                ["handwrite", "--weights", str(weights), "--style", "none", "--seed", "4",
                 text, "write", "--dont-set-date", str(out)],
            )  # fmt: skip
        assert result.exit_code == 0, result.output
        outs.append(out.read_text().replace(out.name, ""))
    assert not [r for r in caplog.records if "written as the model can" in r.getMessage()]
    return outs
