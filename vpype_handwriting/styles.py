"""Handwriting styles: priming samples, built-in writers and the user's own hand.

A style is a short handwritten line and its text, stored as JSON (``offsets`` as
``[dx, dy, eos]`` rows in model units, ``text``, ``source``). Built-in styles live in the
shipped ``weights/styles/`` folder as ``<n>.json``; the user's own in the user data folder.
Graves' priming runs the sample through the network before the new text is sampled, so the
network continues in that hand.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import defaults, strokes
from .config import ModelConfig
from .layout import Calibration
from .sampling import Prime
from .weights import shipped_weights

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")


class StyleError(ValueError):
    """A style cannot be found or its sample is unusable."""


@dataclass
class Style:
    name: str
    text: str
    offsets: np.ndarray
    source: str
    builtin: bool

    def prime(self) -> Prime:
        return Prime(self.offsets.astype(np.float32), self.text)


def builtin_dir() -> Path:
    return shipped_weights() / "styles"


def user_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("vpype-handwriting")) / "styles"


def _read(path: Path, builtin: bool) -> Style:
    try:
        doc = json.loads(path.read_text())
        offsets = np.asarray(doc["offsets"], dtype=np.float32).reshape(-1, 3)
        return Style(path.stem, str(doc["text"]), offsets, str(doc.get("source", "")), builtin)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StyleError(f"style file {path} is damaged ({exc})") from None


def list_styles() -> list[Style]:
    """Built-in styles (by number), then the user's (by name)."""
    found = []
    for folder, builtin in ((builtin_dir(), True), (user_dir(), False)):
        if folder.is_dir():
            files = sorted(
                folder.glob("*.json"),
                key=lambda p: (
                    not p.stem.isdigit(),
                    int(p.stem) if p.stem.isdigit() else 0,
                    p.stem,
                ),
            )
            found += [_read(p, builtin) for p in files]
    return found


def find_style(name: str) -> Style:
    for style in list_styles():
        if style.name == name:
            return style
    names = ", ".join(s.name for s in list_styles()) or "none installed"
    raise StyleError(f"no style named {name!r} (available: {names})")


def load_style(name: str, alphabet: str) -> Prime | None:
    """The priming sample of a style, checked against the model's alphabet; None for
    ``none`` (no priming: each line in a hand of its own)."""
    if name.lower() == defaults.NO_STYLE:
        return None
    style = find_style(name)
    bad = sorted({c for c in style.text if c not in alphabet})
    if bad:
        raise StyleError(f"style {name!r} uses characters the model lacks: {''.join(bad)!r}")
    return style.prime()


def prime_calibration(prime: Prime, config: ModelConfig) -> Calibration:
    """Measure the style's own x-height and character width (model units)."""
    polylines = strokes.straighten(strokes.offsets_to_polylines(prime.offsets))
    height = strokes.x_height(polylines)
    x0, _, x1, _ = strokes.bounds(polylines)
    width = (x1 - x0) / max(len(prime.text), 1)
    if height <= 0:
        return Calibration(config.x_height, config.char_width)
    return Calibration(height, width)


def resample(line: np.ndarray, step: float) -> np.ndarray:
    """Points every ``step`` along the polyline (ends kept), like the training pen rate."""
    seg = np.hypot(*np.diff(line, axis=0).T)
    length = float(seg.sum())
    if len(line) < 2 or length < step:
        return line[[0, -1]] if len(line) > 1 and length > 0 else line[:1]
    at = np.concatenate([[0.0], np.cumsum(seg)])
    targets = np.linspace(0.0, length, max(2, int(round(length / step)) + 1))
    return np.stack(
        [np.interp(targets, at, line[:, 0]), np.interp(targets, at, line[:, 1])], 1
    )


def sample_from_polylines(
    polylines: list[np.ndarray], text: str, config: ModelConfig
) -> np.ndarray:
    """A user's handwritten line (polylines in writing order, y down, any units) → offsets
    normalized like the training data, or a :class:`StyleError` saying what is wrong."""
    text = " ".join(text.split())
    if not text:
        raise StyleError("the sample's text is empty: say what the handwriting reads")
    bad = sorted({c for c in text if c not in config.alphabet})
    if bad:
        raise StyleError(f"the text has characters the model lacks: {''.join(bad)!r}")
    polylines = [np.asarray(p, dtype=np.float64)[:, :2] for p in polylines if len(p)]
    if sum(len(p) for p in polylines) < 10 or len(text) < 3:
        raise StyleError("the sample is too short: write at least a few words")
    pts = np.vstack(polylines)
    center = pts.mean(axis=0)
    slope = np.polyfit(pts[:, 0], pts[:, 1], 1)[0] if np.ptp(pts[:, 0]) > 0 else 0.0
    angle = -np.arctan(slope)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    polylines = [(p - center) @ rot.T for p in polylines]
    height = strokes.x_height(strokes.straighten(polylines))
    if height <= 0:
        raise StyleError(
            "no letter shapes found in the sample: is it handwriting, in one line?"
        )
    # The window advances ~1/kappa_scale of a character per point, so the sample must have
    # the training data's points per character: scale its pen path to kappa_scale steps of
    # ~1 unit per character, then resample at 1 unit.
    arc = sum(float(np.hypot(*np.diff(p, axis=0).T).sum()) for p in polylines if len(p) > 1)
    scale = config.kappa_scale * len(text) / max(arc, 1e-9)
    polylines = [resample(p * scale, 1.0) for p in polylines]
    ratio = height * scale / config.x_height
    if not 0.4 <= ratio <= 2.5:
        raise StyleError(
            f"the letters come out {ratio:.1f}x the usual size for this much text: does the "
            "text match the handwriting, in one line?"
        )
    offsets = strokes.polylines_to_offsets(polylines)
    offsets[0, :2] = 0.0
    return offsets.astype(np.float32)


def save_user_style(
    name: str, text: str, offsets: np.ndarray, source: str, overwrite: bool = False
) -> Path:
    """Store a style in the user data folder (atomically; never over one without asking)."""
    if not NAME.match(name) or name.isdigit():
        raise StyleError(
            f"style name {name!r}: use letters, digits, - and _, starting with a letter"
        )
    if name.lower() == defaults.NO_STYLE:
        raise StyleError(f"style name {name!r} is reserved (it means: no style)")
    path = user_dir() / f"{name}.json"
    if path.exists() and not overwrite:
        raise StyleError(f"a style named {name!r} exists already (use --overwrite to replace)")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "text": text,
        "source": source,
        "offsets": [[round(float(v), 3) for v in row] for row in offsets],
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc))
    tmp.replace(path)
    return path


def read_svg_polylines(path: Path) -> list[np.ndarray]:
    """Every path of an SVG as a polyline (document order = writing order), y down."""
    import vpype as vp

    try:
        doc = vp.read_multilayer_svg(str(path), quantization=0.5)
    except Exception as exc:  # vpype/svgelements raise many kinds on bad files
        raise StyleError(f"cannot read {path} as SVG: {exc}") from None
    lines = [
        np.stack([line.real, line.imag], 1) for layer in doc.layers.values() for line in layer
    ]
    if not lines:
        raise StyleError(f"{path} holds no paths: draw the handwriting as vector lines")
    return lines
