"""Shipped weights: fp16 safetensors plus a JSON config. Loading never unpickles."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import ModelConfig
from .files import write_atomic

if TYPE_CHECKING:  # torch is imported only by the functions that build a torch model
    import torch

    from .model import HandwritingModel

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "model.json"
DATA_TERMS = (
    "Trained on the IAM On-Line Handwriting Database (IAM-OnDB; M. Liwicki and H. Bunke, "
    "ICDAR 2005), which is free for non-commercial research use only; these weights inherit "
    "that restriction."
)


class WeightsError(ValueError):
    """The weights are missing, damaged or do not match their config."""


#: Environment variable naming the weights used when no ``--weights`` is given.
WEIGHTS_ENV = "VPYPE_HANDWRITING_WEIGHTS"


def default_weights() -> Path:
    """The weights used when none are named: ``$VPYPE_HANDWRITING_WEIGHTS`` (a folder or a
    ``.safetensors`` file) when it is set, else the shipped ones."""
    named = os.environ.get(WEIGHTS_ENV, "").strip()
    return Path(named).expanduser() if named else shipped_weights()


def shipped_weights() -> Path:
    """The folder of the shipped weights: inside the installed wheel, else the checkout's."""
    package = Path(__file__).resolve().parent
    for folder in (package / "weights", package.parent / "weights"):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return package / "weights"


def _paths(path: Path) -> tuple[Path, Path]:
    path = Path(path)
    if path.is_dir() or not path.suffix:
        return path / WEIGHTS_FILE, path / CONFIG_FILE
    return path, path.with_suffix(".json")


def save_weights(model: HandwritingModel, path: Path, meta: dict[str, Any]) -> None:
    """Write ``model.safetensors`` (fp16) and ``model.json`` (config + ``meta``) atomically."""
    import torch
    from safetensors.torch import save_file

    tensors = {
        k: (v.detach().to(torch.float16) if v.is_floating_point() else v).contiguous().cpu()
        for k, v in model.state_dict().items()
    }
    _write(path, model.config, meta, lambda tmp: save_file(tensors, str(tmp)))


def save_arrays(
    arrays: dict[str, Any], config: ModelConfig, path: Path, meta: dict[str, Any]
) -> None:
    """:func:`save_weights` for a state dict of numpy arrays (no torch): the same files."""
    import numpy as np
    from safetensors.numpy import save_file

    tensors = {k: np.ascontiguousarray(v, dtype=np.float16) for k, v in arrays.items()}
    _write(path, config, meta, lambda tmp: save_file(tensors, str(tmp)))


def _write(
    path: Path, config: ModelConfig, meta: dict[str, Any], save: Callable[[Path], object]
) -> None:
    """Write the tensors with ``save`` and ``model.json`` beside them, each atomically."""
    weights, config_file = _paths(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    doc = {"config": config.to_dict(), **meta, "data_terms": DATA_TERMS}
    write_atomic(weights, save)
    write_atomic(config_file, lambda tmp: tmp.write_text(json.dumps(doc, indent=2) + "\n"))


#: The keys of a model.json ``config`` that fix the network's shape; the others have
#: defaults (files written before they existed still load).
SHAPE_KEYS = ("alphabet", "hidden", "window_k", "mixtures", "kappa_scale", "offset_std")


def _is_number(value: Any, whole: bool = False) -> bool:
    """A JSON number (an int for ``whole``) that is finite as a float."""
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an int past float range
        return False


def _config_problem(config: Any) -> str | None:
    """What makes the ``config`` of a model.json unusable, or None."""
    if not isinstance(config, dict):
        return 'it has no "config" object'
    missing = [key for key in SHAPE_KEYS if key not in config]
    if missing:
        return f"its config lacks {', '.join(missing)}"
    cfg = ModelConfig.from_dict(config)
    if not isinstance(cfg.alphabet, str) or not cfg.alphabet:
        return "alphabet is not a text of characters"
    for key in ("hidden", "window_k", "mixtures", "keep_every"):
        value = getattr(cfg, key)
        if not (_is_number(value, whole=True) and value >= 1):
            return f"{key} is {repr(value)[:40]}, not a whole number of 1 or more"
    std = cfg.offset_std
    if not (isinstance(std, list) and len(std) == 2 and all(_is_number(v) for v in std)):
        return f"offset_std is {repr(std)[:40]}, not two numbers"
    for key in ("kappa_scale", "x_height", "char_width", "dropout"):
        value = getattr(cfg, key)
        if not (_is_number(value) and value >= 0):
            return f"{key} is {repr(value)[:40]}, not a finite number of 0 or more"
    if cfg.kappa_scale == 0 or min(std) <= 0:
        return "kappa_scale and offset_std must be more than 0"
    return None


def read_meta(path: Path) -> dict[str, Any]:
    """The JSON document saved beside the weights; a :class:`WeightsError` naming the file
    and the problem when it is missing, not JSON or its ``config`` is unusable."""
    _, config = _paths(path)
    try:
        doc = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WeightsError(f"weights config {config} is missing") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise WeightsError(f"weights config {config} is damaged ({exc})") from None
    problem = _config_problem(doc.get("config") if isinstance(doc, dict) else None)
    if problem is not None:
        raise WeightsError(f"weights config {config} is damaged: {problem}")
    return doc


def expected_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The shape of every tensor of :class:`~vpype_handwriting.model.HandwritingModel`
    for ``config`` (its ``state_dict``), worked out without torch."""
    h, v, m, k = config.hidden, config.vocab, config.mixtures, config.window_k
    shapes: dict[str, tuple[int, ...]] = {
        "cell1.weight_ih": (4 * h, 3 + v),
        "cell1.weight_hh": (4 * h, h),
        "cell1.bias_ih": (4 * h,),
        "cell1.bias_hh": (4 * h,),
        "window.proj.weight": (3 * k, h),
        "window.proj.bias": (3 * k,),
        "head.weight": (1 + 6 * m, 3 * h),
        "head.bias": (1 + 6 * m,),
        "offset_std": (2,),
    }
    for name in ("lstm2", "lstm3"):
        shapes |= {
            f"{name}.weight_ih_l0": (4 * h, 3 + h + v),
            f"{name}.weight_hh_l0": (4 * h, h),
            f"{name}.bias_ih_l0": (4 * h,),
            f"{name}.bias_hh_l0": (4 * h,),
        }
    return shapes


def check_tensors(
    config: ModelConfig, tensors: dict[str, Any], weights: Path, weights_config: Path
) -> None:
    """Raise a :class:`WeightsError` unless ``tensors`` (read from ``weights``) are the
    network ``config`` (from ``weights_config``) describes: every layer there, of its
    shape, in finite floating-point numbers."""
    import numpy as np

    where = f"weights in {weights.parent} do not match their {weights_config.name}"
    expected = expected_shapes(config)
    for key, shape in expected.items():
        if key not in tensors:
            raise WeightsError(f"{where}: layer {key} is missing (expected shape {shape})")
        have = tuple(np.shape(tensors[key]))
        if have != shape:
            raise WeightsError(f"{where}: layer {key} has shape {have}, expected {shape}")
    extra = sorted(set(tensors) - set(expected))
    if extra:
        raise WeightsError(f"{where}: it has no layer {extra[0]}")
    for key, value in tensors.items():
        value = np.asarray(value)
        if not np.issubdtype(value.dtype, np.floating) or not np.isfinite(value).all():
            raise WeightsError(f"{where}: layer {key} holds values that are not numbers")
    if not (np.asarray(tensors["offset_std"]) > 0).all():
        raise WeightsError(f"{where}: offset_std is not positive")


def read_tensors(path: Path | None = None) -> tuple[ModelConfig, dict[str, Any]]:
    """The config and the fp16 tensors as numpy arrays (no torch); :class:`WeightsError`
    names the file when either is missing or damaged."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = default_weights() if path is None else Path(path)
    weights, meta = _paths(path)
    doc = read_meta(path)
    if not weights.is_file():
        raise WeightsError(f"weights file {weights} is missing")
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"weights file {weights} is damaged or truncated ({exc})") from None
    config = ModelConfig.from_dict(doc["config"])
    check_tensors(config, tensors, weights, meta)
    return config, tensors


def load_weights(
    path: Path | None = None, device: str | torch.device = "cpu"
) -> HandwritingModel:
    """Build the torch model from safetensors + JSON; a clear :class:`WeightsError` if that
    fails."""
    import torch

    from .model import HandwritingModel

    path = default_weights() if path is None else Path(path)
    config, arrays = read_tensors(path)
    weights, _ = _paths(path)
    model = HandwritingModel(config)
    try:
        model.load_state_dict({k: torch.from_numpy(v).float() for k, v in arrays.items()})
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0]
        raise WeightsError(
            f"weights file {weights} does not match its config: {first}"
        ) from None
    return model.to(device).eval()


def average_weights(folders: list[Path]) -> tuple[HandwritingModel, dict[str, Any]]:
    """The mean of the weights in ``folders`` (epochs of one run: Polyak averaging, which
    smooths the epoch-to-epoch swings of a small-batch run) and the meta of the average:
    the latest epoch, step and training time, and which epochs went into it."""
    import torch

    if len(folders) < 2:
        raise WeightsError("averaging needs two or more weight folders")
    models = [load_weights(Path(f)) for f in folders]
    metas = [read_meta(Path(f)) for f in folders]
    for folder, model in zip(folders[1:], models[1:]):
        if model.config != models[0].config:
            raise WeightsError(
                f"weights in {folder} have another config than those in {folders[0]}: "
                "only epochs of one network can be averaged"
            )
    state = {
        key: torch.stack([m.state_dict()[key].float() for m in models]).mean(0)
        for key in models[0].state_dict()
    }
    models[0].load_state_dict(state)
    latest = max(metas, key=lambda m: float(m.get("epochs", 0)))
    meta: dict[str, Any] = {
        key: latest[key]
        for key in ("epochs", "steps", "train_seconds", "batch_size", "device")
        if key in latest
    }
    meta["averaged_epochs"] = [m.get("epochs") for m in metas]
    return models[0], meta
