"""Shipped weights: fp16 safetensors plus a JSON config. Loading never unpickles."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import ModelConfig

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


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a temporary file and rename it over ``path``; the file gets the usual
    permissions (safetensors creates it readable by its owner only)."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def save_weights(model: HandwritingModel, path: Path, meta: dict[str, Any]) -> None:
    """Write ``model.safetensors`` (fp16) and ``model.json`` (config + ``meta``) atomically."""
    import torch
    from safetensors.torch import save_file

    weights, config = _paths(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    tensors = {
        k: (v.detach().to(torch.float16) if v.is_floating_point() else v).contiguous().cpu()
        for k, v in model.state_dict().items()
    }
    doc = {"config": model.config.to_dict(), **meta, "data_terms": DATA_TERMS}
    _atomic_write(weights, lambda tmp: save_file(tensors, str(tmp)))
    _atomic_write(config, lambda tmp: tmp.write_text(json.dumps(doc, indent=2) + "\n"))


def read_meta(path: Path) -> dict[str, Any]:
    """The JSON document saved beside the weights."""
    _, config = _paths(path)
    try:
        doc = json.loads(config.read_text())
        ModelConfig.from_dict(doc["config"])
    except FileNotFoundError:
        raise WeightsError(f"weights config {config} is missing") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WeightsError(f"weights config {config} is damaged ({exc})") from None
    return doc


def read_tensors(path: Path | None = None) -> tuple[ModelConfig, dict[str, Any]]:
    """The config and the fp16 tensors as numpy arrays (no torch); :class:`WeightsError`
    names the file when either is missing or damaged."""
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    path = shipped_weights() if path is None else Path(path)
    weights, _ = _paths(path)
    doc = read_meta(path)
    if not weights.is_file():
        raise WeightsError(f"weights file {weights} is missing")
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as exc:
        raise WeightsError(f"weights file {weights} is damaged or truncated ({exc})") from None
    return ModelConfig.from_dict(doc["config"]), tensors


def load_weights(
    path: Path | None = None, device: str | torch.device = "cpu"
) -> HandwritingModel:
    """Build the torch model from safetensors + JSON; a clear :class:`WeightsError` if that
    fails."""
    import torch

    from .model import HandwritingModel

    path = shipped_weights() if path is None else Path(path)
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
