"""Training data as the optimizer sees it: length-bucketed batches in an order fixed by
(seed, epoch), lines with rare characters repeated, and each line slanted and stretched at
random (augmentation) when asked."""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from .. import alphabet as alpha
from .iamondb import Dataset

#: Characters seen fewer times than this in the training texts are rare (digits, most
#: punctuation, J K Q U V X Y Z, z: 1,426 of 11,414 lines hold one).
RARE_COUNT = 200


def rare_chars(data: Dataset, rare_count: int = RARE_COUNT, also: str = "") -> set[str]:
    """The characters seen fewer than ``rare_count`` times in the texts (IAM-OnDB has 38
    eights and 7 capital Zs), and those of ``also`` (``train --focus-chars``: letters the
    net writes badly though they are common enough, e.g. an ``x`` without its cross)."""
    counts = Counter("".join(data.texts))
    return {c for c, n in counts.items() if n < rare_count} | set(also)


def rare_repeats(
    data: Dataset, repeat: int, rare_count: int = RARE_COUNT, also: str = ""
) -> np.ndarray:
    """How often each line comes in an epoch: ``repeat`` times for a line holding a rare
    character (:func:`rare_chars`), once for the others."""
    rare = rare_chars(data, rare_count, also)
    return np.array([repeat if rare & set(t) else 1 for t in data.texts], dtype=np.int64)


def char_weights(
    data: Dataset, alphabet: str, weight: float, rare_count: int = RARE_COUNT, also: str = ""
):
    """Loss weight of each character index (V,): ``weight`` for the rare characters
    (:func:`rare_chars`), 1 for the others, padding and END."""
    rare = rare_chars(data, rare_count, also)
    out = torch.ones(len(alphabet) + 2)
    for i, c in enumerate(alphabet):
        if c in rare:
            out[i + 2] = weight
    return out


def pen_up_moves(offsets: torch.Tensor) -> torch.Tensor:
    """(B, T) mask of the pen-up moves: row t of ``offsets`` is one when row t - 1 lifted
    the pen (the first row follows no lift)."""
    lifted = torch.zeros_like(offsets[..., 2], dtype=torch.bool)
    lifted[:, 1:] = offsets[:, :-1, 2] > 0.5
    return lifted


def back_jumps(offsets: torch.Tensor) -> torch.Tensor:
    """(B, T) mask of the pen-up moves that go back left (dx < 0): where a writer returns
    to a letter already written for its delayed stroke (the cross of an ``x`` or ``t``, the
    bar of an ``H``, the arms of an ``E``, the flag of a ``5``, an i-dot)."""
    return pen_up_moves(offsets) & (offsets[..., 0] < 0)


def epoch_batches(
    data: Dataset, batch_size: int, seed: int, epoch: int, repeats: np.ndarray | None = None
) -> list[np.ndarray]:
    """Length-bucketed batches in an order fixed by (seed, epoch); line i comes
    ``repeats[i]`` times (once each by default)."""
    rng = np.random.default_rng([seed, epoch])
    pool = (
        np.arange(len(data)) if repeats is None else np.repeat(np.arange(len(data)), repeats)
    )
    lengths = data.lengths()[pool].astype(np.float64)
    order = pool[np.argsort(lengths * rng.uniform(0.9, 1.1, len(lengths)), kind="stable")]
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def augment_lines(offsets: np.ndarray, strength: float, rng: np.random.Generator) -> None:
    """Slant and stretch each line of a padded batch (B, T, 3) in place, one random affine
    map per line: x' = a (x - k y), y' = b y with the shear k in ±strength and the stretches
    a, b in exp(±strength), exp(±strength / 2). Pen bits and padding are untouched.

    A repeated line (``--rare-repeat``) comes back with another slant and width each time,
    so the net learns a shape for a rare character rather than one writer's few samples.
    """
    if strength <= 0:
        return
    batch = len(offsets)
    shear = rng.uniform(-strength, strength, batch)[:, None]
    stretch_x = np.exp(rng.uniform(-strength, strength, batch))[:, None]
    stretch_y = np.exp(rng.uniform(-strength / 2, strength / 2, batch))[:, None]
    dx, dy = offsets[:, :, 0].copy(), offsets[:, :, 1].copy()
    offsets[:, :, 0] = stretch_x * (dx - shear * dy)
    offsets[:, :, 1] = stretch_y * dy


def make_batch(
    data: Dataset,
    idx: np.ndarray,
    alphabet: str,
    device: torch.device,
    augment: tuple[float, np.random.Generator] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Padded (offsets, mask, text) tensors for the lines ``idx``, slanted and stretched by
    :func:`augment_lines` when ``augment`` gives (strength, generator)."""
    lines = [data.line(i) for i in idx]
    t_max = max(len(line) for line in lines)
    offsets = np.zeros((len(lines), t_max, 3), np.float32)
    mask = np.zeros((len(lines), t_max), np.float32)
    for row, line in enumerate(lines):
        offsets[row, : len(line)] = line
        mask[row, : len(line)] = 1
    if augment is not None:
        augment_lines(offsets, *augment)
    text = alpha.encode_batch([data.texts[i] for i in idx], alphabet)
    return (
        torch.from_numpy(offsets).to(device),
        torch.from_numpy(mask).to(device),
        torch.from_numpy(text).to(device),
    )
