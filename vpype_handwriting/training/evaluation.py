"""Validation NLL of a synthesis network on held-out lines, with bf16 autocast where the
device runs it (used by the training loop and by ``evaluate`` and ``average``)."""

from __future__ import annotations

import contextlib
import functools
import logging

import torch

from ..model import HandwritingModel, sequence_loss
from .batches import epoch_batches, make_batch
from .iamondb import Dataset

logger = logging.getLogger(__name__)


@functools.cache
def bf16_works(device_type: str) -> bool:
    """Whether an LSTM runs under bf16 autocast on this device type (on a CPU, oneDNN's bf16
    LSTM needs AVX-512: an AVX2-only CPU fails with "could not create a primitive
    descriptor"). Warns once when it does not."""
    lstm = torch.nn.LSTM(4, 4, batch_first=True).to(device_type)
    try:
        with torch.no_grad(), torch.autocast(device_type, dtype=torch.bfloat16):
            lstm(torch.zeros(1, 2, 4, device=device_type))
    except RuntimeError:
        logger.warning("bf16 autocast does not run on this %s; using fp32", device_type)
        return False
    return True


def autocast(device: torch.device, bf16: bool) -> contextlib.AbstractContextManager:
    """bf16 autocast when asked for and the device runs it, else nothing."""
    if not bf16 or not bf16_works(device.type):
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


@torch.no_grad()
def evaluate(
    model: HandwritingModel,
    data: Dataset,
    device: torch.device | str,
    batch_size: int = 64,
    bf16: bool = False,
) -> tuple[float, float]:
    """Validation NLL in nats per line and per point."""
    if len(data) == 0:
        raise ValueError("there are no validation lines to evaluate on")
    device = torch.device(device)
    model.eval()
    total, points = 0.0, 0
    for idx in epoch_batches(data, batch_size, 0, 0):
        offsets, mask, text = make_batch(data, idx, model.config.alphabet, device)
        with autocast(device, bf16):
            total += float(sequence_loss(model, offsets, mask, text))
        points += int(mask.sum())
    model.train()
    return total / len(data), total / max(points, 1)


def validation_nll(
    model: HandwritingModel, val: Dataset, batch_size: int = 64, bf16: bool = False
) -> tuple[float, float]:
    """Nats per line and per point of ``model`` on the validation lines ``val`` (CPU)."""
    return evaluate(model, val, "cpu", batch_size, bf16)
