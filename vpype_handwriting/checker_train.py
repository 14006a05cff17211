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

from .batches import augment_lines, epoch_batches
from .checker import (
    CHECKER_CONFIG,
    CHECKER_WEIGHTS,
    Checker,
    CheckerConfig,
    edit_distance,
    encode,
    greedy,
    same_shape_labels,
)
from .checker import features as ink_features
from .iamondb import Dataset

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
    time_limit: float | None = None  # seconds
    seed: int = 0
    max_batches: int | None = None  # tests
    mutate: float = 0.0  # share of lines written with one letter dropped, doubled, swapped
    swap: float = 0.0  # of those, the share with a letter swapped for another
    init: Path | None = None  # a checker folder to start from (when there is no checkpoint)


#: Of the mutated lines, the share with a letter written twice (the rest lose one).
DOUBLE_SHARE = 0.3


def mutate_line(
    offsets: np.ndarray,
    text: str,
    chars: np.ndarray,
    rng: np.random.Generator,
    kind: str | None = None,
) -> tuple[np.ndarray, str]:
    """One letter or digit of a real line taken out of its ink and its text, or written
    twice in both, the way the synthesis net fails (``grandmothe,``, ``thee``); ``kind``
    ("drop" or "double") chooses, else :data:`DOUBLE_SHARE` of them are doubled.

    ``chars`` is the character each point was written for (:func:`cuts.align`). Dropping
    removes that character's points, so the ink after it closes up onto the ink before
    (the pen goes from the end of one letter to the next, as when the net skips one); a
    lift after the dropped run stays a lift. Doubling writes the character's points again
    right after them (only a character written in one run of points). A recognizer trained
    only on whole lines reads a dropped letter back in from the word around it; taught
    with these it reads what is there. Lines with no such character come back unchanged.
    """
    candidates = [k for k, c in enumerate(text) if c.isalnum() and (chars == k).sum() >= 3]
    if not candidates:
        return offsets, text
    k = int(rng.choice(candidates))
    where = np.flatnonzero(chars == k)
    double = rng.random() < DOUBLE_SHARE if kind is None else kind == "double"
    if double and where[-1] - where[0] + 1 == len(where):
        a, b = int(where[0]), int(where[-1]) + 1
        out = np.concatenate([offsets[:b], offsets[a:b], offsets[b:]])
        return out, text[: k + 1] + text[k:]
    out = offsets.copy()
    runs = np.split(where, np.flatnonzero(np.diff(where) > 1) + 1)
    for run in runs:  # keep the pen lifts that ended a dropped run
        if run[0] > 0 and offsets[run[-1], 2] > 0.5:
            out[run[0] - 1, 2] = 1.0
    keep = np.ones(len(offsets), bool)
    keep[where] = False
    return out[keep], " ".join((text[:k] + text[k + 1 :]).split())  # a dropped "a": one space


#: The characters a letter may be swapped for: another of its own kind.
SWAP_POOLS = ("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789")


class Mutations:
    """What ``--mutate`` does to a training line: one letter dropped or doubled
    (:func:`mutate_line`), or, for ``swap`` of them, written with the ink of another letter
    of its kind taken from another line (:meth:`swapped`), each labelled as written.

    A recognizer trained on whole lines only reads the word it expects: the synthesis
    net's ``six`` with an ``x`` like a ``t`` reads ``six`` to it, and ``grandmother`` with a
    faint ``r`` too. Lines where the ink says one letter and the word around it another
    teach it to read the letters."""

    def __init__(self, data: Dataset, chars: list[np.ndarray], swap: float = 0.0) -> None:
        self.data, self.chars, self.swap = data, chars, swap
        self.runs: dict[str, list[tuple[int, int, int]]] = {}
        self.heights = np.ones(len(data))
        if swap <= 0:
            return
        for i, (text, c) in enumerate(zip(data.texts, chars)):
            y = np.cumsum(data.line(i)[:, 1])
            self.heights[i] = max(float(np.subtract(*np.percentile(y, [75, 25]))), 1e-3)
            for k, a, b in _letter_runs(text, c):
                self.runs.setdefault(text[k], []).append((i, a, b))

    def __call__(
        self, i: int, offsets: np.ndarray, text: str, rng: np.random.Generator
    ) -> tuple[np.ndarray, str]:
        if self.swap > 0 and rng.random() < self.swap:
            return self.swapped(i, offsets, text, rng)
        return mutate_line(offsets, text, self.chars[i], rng)

    def swapped(
        self, i: int, offsets: np.ndarray, text: str, rng: np.random.Generator
    ) -> tuple[np.ndarray, str]:
        """Line i with one letter's points replaced by another letter's from another line
        (scaled by the two lines' ink heights); the ink after it follows on from the new
        letter's end, at the old one's height, and the pen lifts after it if it lifted
        after the old one."""
        letters = _letter_runs(text, self.chars[i])
        if not letters:
            return offsets, text
        k, a, b = letters[int(rng.integers(len(letters)))]
        pool = next(p for p in SWAP_POOLS if text[k] in p)
        others = [c for c in pool if c != text[k] and self.runs.get(c)]
        if not others:
            return offsets, text
        new = others[int(rng.integers(len(others)))]
        j, a2, b2 = self.runs[new][int(rng.integers(len(self.runs[new])))]
        glyph = self.data.line(j)[a2:b2].copy()
        glyph[:, :2] *= np.clip(self.heights[i] / self.heights[j], 0.5, 2.0)
        # ending as high as the old letter did (spread over its points), so that a `y`
        # swapped in for an `a` does not take the rest of the line down with its tail
        glyph[:, 1] += (offsets[a:b, 1].sum() - glyph[:, 1].sum()) / len(glyph)
        glyph[-1, 2] = offsets[b - 1, 2]
        out = np.concatenate([offsets[:a], glyph, offsets[b:]])
        return out, text[:k] + new + text[k + 1 :]


def _letter_runs(text: str, chars: np.ndarray) -> list[tuple[int, int, int]]:
    """(character index, first point, end point) of each letter or digit of a line
    written in one run of at least 3 points."""
    out = []
    for k, c in enumerate(text):
        if c.isalnum() and c.isascii():
            where = np.flatnonzero(chars == k)
            if len(where) >= 3 and where[-1] - where[0] + 1 == len(where):
                out.append((k, int(where[0]), int(where[-1]) + 1))
    return out


def point_chars(model, data: Dataset, cache: Path) -> list[np.ndarray]:
    """The character each point of each line was written for, as the synthesis ``model``
    reads it teacher-forced (:func:`cuts.align`); kept in ``cache`` (an .npz, written
    atomically) and read back from it when it holds these lines, so a resumed run does not
    align again."""
    from .cuts import align

    cache = Path(cache)
    if cache.is_file():
        with np.load(cache) as saved:
            if np.array_equal(saved["starts"], data.starts):
                flat = saved["chars"]
                return [flat[a:b] for a, b in zip(data.starts[:-1], data.starts[1:])]
        logger.info("%s holds other lines: aligning again", cache)
    chars = align(model, data, np.arange(len(data)))
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.name + ".tmp.npz")
    flat = np.concatenate(chars).astype(np.int16) if chars else np.zeros(0, np.int16)
    np.savez(tmp, starts=data.starts, chars=flat)
    os.replace(tmp, cache)
    return [c.astype(np.int16) for c in chars]


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
        from .train import ink_calibration

        if not len(train) or not len(val):
            raise ValueError("the checker needs training and validation lines to learn from")
        if opts.mutate > 0 and (chars is None or len(chars) != len(train)):
            raise ValueError("dropping letters needs every training line's alignment")
        self.train_data, self.val_data, self.opts = train, val, opts
        self.mutations = None if chars is None else Mutations(train, chars, opts.swap)
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
                if opts.mutate > 0 and self.mutations is not None:
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

        from .weights import _atomic_write

        scores, cer = line_scores(self.net, self.val_data)
        self.net.config.threshold = float(np.quantile(scores, self.opts.quantile))
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
        _atomic_write(out / CHECKER_WEIGHTS, lambda tmp: save_file(tensors, str(tmp)))
        _atomic_write(
            out / CHECKER_CONFIG, lambda tmp: tmp.write_text(json.dumps(meta, indent=2) + "\n")
        )
        return meta
