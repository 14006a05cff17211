"""Shared fixtures: tiny IAM-format data written on the fly and tiny random-weight models."""

from __future__ import annotations

import os
import string
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # tiny models: one thread, also in subprocesses

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from vpype_handwriting.model import HandwritingModel, ModelConfig  # noqa: E402
from vpype_handwriting.weights import save_weights  # noqa: E402

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
    torch.manual_seed(seed)
    return HandwritingModel(tiny_config(**kw)).eval()


def as_numpy(model: HandwritingModel):
    """The same network as a :class:`NumpyNet` (the CPU sampling engine)."""
    from vpype_handwriting.numpy_net import NumpyNet

    return NumpyNet(model.config, {k: v.numpy() for k, v in model.state_dict().items()})


@pytest.fixture(params=["numpy", "torch"])
def backend(request: pytest.FixtureRequest):
    """Run a sampling test on both engines: ``backend(model)`` is the net to sample with."""
    return as_numpy if request.param == "numpy" else (lambda model: model)


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight model small enough to sample whole pages in a blink."""
    folder = tmp_path_factory.mktemp("weights")
    save_weights(tiny_model(), folder, {"epochs": 0, "val_nll_line": None})
    return folder
