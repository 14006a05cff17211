"""Training the legibility checker (``checker.py``): a BiLSTM-CTC recognizer over the
prepared IAM-OnDB lines, the same training / validation split by form as the synthesis
net. A script-sized loop with an atomic checkpoint (model, optimizer, epoch, batch, RNG)
that resumes exactly; at the end the fp16 weights and the calibrated threshold are
written beside the synthesis weights.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..checker import (
    CHECKER_CONFIG,
    CHECKER_WEIGHTS,
    Checker,
    CheckerConfig,
    edit_distance,
    encode,
    greedy,
    same_shape_labels,
)
from ..checker import features as ink_features
from .batches import augment_lines, epoch_batches
from .iamondb import Dataset
from .mutations import Mutations

logger = logging.getLogger(__name__)


class CheckerNet(nn.Module):
    """Features → tanh layer → bidirectional LSTM layers → CTC log-probabilities.

    Each direction is its own one-layer ``nn.LSTM``: the backward one reads every line
    reversed within its own length, so padding never runs through it and a padded batch
    gives what one line alone gives (what the numpy checker computes). ``torch``'s packed
    sequences do the same but ran four times slower here on a CPU."""

    def __init__(self, config: CheckerConfig) -> None:
        super().__init__()
        self.config = config
        self.inp = nn.Linear(8, config.hidden)
        sizes = [config.hidden] + [2 * config.hidden] * (config.layers - 1)
        self.fwd = nn.ModuleList(nn.LSTM(n, config.hidden, batch_first=True) for n in sizes)
        self.bwd = nn.ModuleList(nn.LSTM(n, config.hidden, batch_first=True) for n in sizes)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(2 * config.hidden, config.labels)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T, 8) padded features → (B, T, labels) log-probabilities."""
        steps = torch.arange(x.shape[1])
        lengths = lengths.to(x.device)
        # reversal within each line's length (an involution); padding stays at the end
        flip = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)
        flip = flip.to(x.device)[:, :, None]
        h = torch.tanh(self.inp(x))
        for k, (fwd, bwd) in enumerate(zip(self.fwd, self.bwd)):
            if k:
                h = self.drop(h)
            ahead, _ = fwd(h)
            rev = h.gather(1, flip.expand(-1, -1, h.shape[2]))
            back, _ = bwd(rev)
            back = back.gather(1, flip.expand(-1, -1, back.shape[2]))
            h = torch.cat([ahead, back], 2)
        return torch.log_softmax(self.out(self.drop(h)), -1)


@dataclass
class CheckerOptions:
    out_dir: Path  # checker.safetensors + checker.json are written here
    run_dir: Path  # the full checkpoint
    hidden: int = 128
    layers: int = 2
    batch_size: int = 32
    lr: float = 2e-3
    lr_decay: float = 0.9
    epochs: int = 20
    augment: float = 0.15
    quantile: float = 0.5  # of the validation lines' scores: the flagging threshold
    min_margin: float = 3.0  # nats each letter of a sampled line must read surer by
    time_limit: float | None = None  # seconds
    seed: int = 0
    max_batches: int | None = None  # tests
    mutate: float = 0.0  # share of lines written with one letter dropped, doubled, swapped
    swap: float = 0.0  # of those, the share with a letter swapped for another
    init: Path | None = None  # a checker folder to start from (when there is no checkpoint)


def make_batch(
    data: Dataset,
    idx: np.ndarray,
    config: CheckerConfig,
    augment: tuple | None,
    mutate: tuple[float, Mutations, np.random.Generator] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Padded features, frame counts, concatenated labels and label counts of lines idx;
    ``mutate`` (share, :class:`Mutations`, generator) drops, doubles or swaps a letter in
    that share of them."""
    lines = [data.line(i).copy() for i in idx]
    texts = [data.texts[i] for i in idx]
    if mutate is not None:
        share, mutations, rng = mutate
        for k, i in enumerate(idx):
            if rng.random() < share:
                lines[k], texts[k] = mutations(int(i), lines[k], texts[k], rng)
    if augment is not None:
        strength, rng = augment
        longest = max(len(x) for x in lines)
        padded = np.zeros((len(lines), longest, 3), np.float32)
        for k, x in enumerate(lines):
            padded[k, : len(x)] = x
        augment_lines(padded, strength, rng)
        lines = [padded[k, : len(x)] for k, x in enumerate(lines)]
    feats = [ink_features(x, config.scale) for x in lines]
    frames = torch.tensor([len(f) for f in feats])
    batch = torch.zeros(len(feats), int(frames.max()), 8)
    for k, f in enumerate(feats):
        batch[k, : len(f)] = torch.from_numpy(f)
    labels = [encode(text, config.alphabet) for text in texts]
    counts = torch.tensor([len(lab) for lab in labels])
    return batch, frames, torch.from_numpy(np.concatenate(labels)), counts


def fold_batch(
    logp: torch.Tensor, labels: torch.Tensor, alphabet: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probabilities and labels with each :data:`checker.SAME_SHAPE` group as its first
    character, as :meth:`Checker.assess_batch` scores written lines."""
    logp, labels = logp.clone(), labels.clone()
    for same in same_shape_labels(alphabet):
        logp[..., same[0]] = torch.logsumexp(logp[..., same], dim=-1)
        logp[..., same[1:]] = -1e9
        labels[torch.isin(labels, torch.tensor(same[1:]))] = same[0]
    return logp, labels


def line_scores(net: CheckerNet, data: Dataset) -> tuple[np.ndarray, float]:
    """Each line's CTC nats per character as the checker scores written lines (zeros and
    o's as one), and the greedy-decoding CER over all lines."""
    net.eval()
    scores = np.zeros(len(data))
    errors = chars = 0
    with torch.no_grad():
        for start in range(0, len(data), 64):
            idx = np.arange(start, min(start + 64, len(data)))
            x, frames, labels, counts = make_batch(data, idx, net.config, None)
            logp = net(x, frames)
            folded, labels = fold_batch(logp, labels, net.config.alphabet)
            loss = nn.functional.ctc_loss(
                folded.transpose(0, 1), labels, frames, counts, reduction="none",
                zero_infinity=True,
            )  # fmt: skip
            scores[idx] = (loss / counts.clamp(min=1)).numpy()
            for k, i in enumerate(idx):
                read = greedy(logp[k, : frames[k]].numpy(), net.config.alphabet)
                errors += edit_distance(read, data.texts[i])
                chars += len(data.texts[i])
    net.train()
    return scores, errors / max(chars, 1)


class CheckerTrainer:
    """Train, checkpoint (atomically, resumable), calibrate and export the checker."""

    def __init__(
        self,
        train: Dataset,
        val: Dataset,
        alphabet: str,
        opts: CheckerOptions,
        chars: list[np.ndarray] | None = None,
    ):
        """``chars``: the character each training point was written for, needed when
        ``opts.mutate`` drops and doubles letters."""
        from .iamondb import ink_calibration

        if not len(train) or not len(val):
            raise ValueError("the checker needs training and validation lines to learn from")
        if opts.mutate > 0 and (chars is None or len(chars) != len(train)):
            raise ValueError("dropping letters needs every training line's alignment")
        self.train_data, self.val_data, self.opts = train, val, opts
        self.mutations = None
        if opts.mutate > 0 and chars is not None:
            self.mutations = Mutations(train, chars, opts.swap)
        torch.manual_seed(opts.seed)
        scale = ink_calibration(train)[0]
        config = CheckerConfig(alphabet, opts.hidden, opts.layers, scale=scale)
        init = None if opts.init is None else Path(opts.init)
        if init is not None:
            start = Checker.load(init).config  # a one-line WeightsError when it is not one
            if start.alphabet != alphabet:
                raise ValueError(f"the checker in {init} reads another alphabet")
            config = CheckerConfig(alphabet, start.hidden, start.layers, scale=start.scale)
        self.net = CheckerNet(config)
        if init is not None:
            from safetensors.torch import load_file

            tensors = load_file(str(init / CHECKER_WEIGHTS))
            self.net.load_state_dict({k: v.float() for k, v in tensors.items()})
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=opts.lr)
        self.epoch = self.batch = 0
        self.ckpt = Path(opts.run_dir) / "checker-checkpoint.pt"
        if self.ckpt.is_file():
            state = torch.load(self.ckpt, weights_only=True)
            self.net.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.epoch, self.batch = state["epoch"], state["batch"]
            config.scale = float(state.get("scale", config.scale))  # the net learned this
            torch.set_rng_state(state["rng"])
            logger.info("resumed the checker at epoch %d batch %d", self.epoch, self.batch)

    def save_checkpoint(self) -> None:
        self.ckpt.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "model": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "epoch": self.epoch,
            "batch": self.batch,
            "scale": self.net.config.scale,
            "rng": torch.get_rng_state(),
        }
        tmp = self.ckpt.with_name(self.ckpt.name + ".tmp")
        torch.save(state, tmp)
        os.replace(tmp, self.ckpt)

    def run(self) -> None:
        """Train until ``epochs`` (exporting at each epoch's end), the time limit or
        ``max_batches``; a run already at ``epochs`` only recalibrates and exports."""
        opts, start, done = self.opts, time.monotonic(), 0
        if self.epoch >= opts.epochs:
            self.export()
            return
        while self.epoch < opts.epochs:
            batches = epoch_batches(self.train_data, opts.batch_size, opts.seed, self.epoch)
            for group in self.optimizer.param_groups:
                group["lr"] = opts.lr * opts.lr_decay**self.epoch
            total = 0.0
            while self.batch < len(batches):
                rng = np.random.default_rng([opts.seed, self.epoch, self.batch, 1])
                augment = (opts.augment, rng) if opts.augment > 0 else None
                mutate = None
                if self.mutations is not None:
                    stream = np.random.default_rng([opts.seed, self.epoch, self.batch, 2])
                    mutate = (opts.mutate, self.mutations, stream)
                total += self._step(batches[self.batch], augment, mutate)
                self.batch, done = self.batch + 1, done + 1
                if self.batch % 50 == 0:
                    logger.info("checker epoch %d batch %d/%d loss %.3f", self.epoch,
                                self.batch, len(batches), total / 50)  # fmt: skip
                    total = 0.0
                limit = opts.time_limit
                late = limit is not None and time.monotonic() - start > limit
                if late or (opts.max_batches is not None and done >= opts.max_batches):
                    self.save_checkpoint()
                    return
            self.epoch, self.batch = self.epoch + 1, 0
            meta = self.export()
            logger.info(
                "checker epoch %d: validation CER %.3f, median %.3f nats/char",
                self.epoch,
                meta["val_cer"],
                meta["val_median_nats_per_char"],
            )
            self.save_checkpoint()

    def _step(self, idx: np.ndarray, augment: tuple | None, mutate: tuple | None) -> float:
        x, frames, labels, counts = make_batch(
            self.train_data, idx, self.net.config, augment, mutate
        )
        logp = self.net(x, frames)
        loss = nn.functional.ctc_loss(
            logp.transpose(0, 1), labels, frames, counts, reduction="mean", zero_infinity=True
        )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.net.parameters(), 5.0)
        self.optimizer.step()
        value = float(loss.detach())
        return value if math.isfinite(value) else 0.0

    def export(self) -> dict:
        """Calibrate the threshold on the validation lines and write the fp16 weights."""
        from safetensors.torch import save_file

        from ..files import write_atomic

        scores, cer = line_scores(self.net, self.val_data)
        self.net.config.threshold = float(np.quantile(scores, self.opts.quantile))
        self.net.config.min_margin = self.opts.min_margin
        out = Path(self.opts.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().half().contiguous() for k, v in self.net.state_dict().items()}
        meta = {
            "config": self.net.config.to_dict(),
            "epochs": self.epoch,
            "val_cer": round(cer, 4),
            "val_median_nats_per_char": round(float(np.median(scores)), 4),
            "threshold_quantile": self.opts.quantile,
        }
        write_atomic(out / CHECKER_WEIGHTS, lambda tmp: save_file(tensors, str(tmp)))
        write_atomic(
            out / CHECKER_CONFIG, lambda tmp: tmp.write_text(json.dumps(meta, indent=2) + "\n")
        )
        return meta
