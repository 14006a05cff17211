"""Training: length-bucketed batches, Adam, clipping, validation, atomic resumable checkpoints.

A checkpoint is one dict (``model``, ``optimizer``, ``config``, ``epoch``, ``batch``, ``step``,
``best_val``, ``rng``) written with ``torch.save`` to a temporary file and renamed, and read
back with ``weights_only=True``. The batch order of an epoch is derived from (seed, epoch), so
a resumed run continues exactly where it stopped.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..model import HandwritingModel, ModelConfig, focus_weight, point_nll
from ..weights import load_weights, read_meta, save_weights
from .batches import back_jumps, char_weights, epoch_batches, make_batch, rare_repeats
from .evaluation import autocast, evaluate
from .iamondb import Dataset, ink_calibration

logger = logging.getLogger(__name__)
LOG_FIELDS = [
    "epoch",
    "step",
    "train_nll_point",
    "val_nll_line",
    "val_nll_point",
    "lr",
    "seconds",
]


@dataclass
class TrainOptions:
    run_dir: Path
    export_dir: Path | None = None  # fp16 weights + training log written here at checkpoints
    hidden: int = 256
    batch_size: int = 64
    lr: float = 1e-3
    lr_decay: float = 0.97  # per epoch
    dropout: float | None = None  # None: keep the model's (0 for a new one)
    clip: float = 3.0
    epochs: int = 1000
    time_limit: float | None = None  # seconds
    checkpoint_minutes: float = 10.0
    device: str = "cpu"
    bf16: bool = False
    rare_repeat: int = 1  # lines with a rare character come this many times an epoch
    augment: float = 0.0  # strength of the random slant and stretch of each training line
    rare_weight: float = 1.0  # loss weight of the points written on a rare character
    focus_chars: str = ""  # characters treated as rare however often they occur
    jump_weight: float = 1.0  # loss weight of the pen-up moves back to a letter's late stroke
    extra: Path | None = None  # synthetic lines (splice.py) added to the training set
    extra_per_epoch: int | None = None  # draw this many of them an epoch (None: all)
    compile: bool = False  # torch.compile the layer-1 + window step (~20 s, then faster)
    seed: int = 0
    resume: bool = False
    init: Path | None = None  # start from committed weights when no checkpoint exists
    max_batches: int | None = None  # stop after this many batches (tests, benchmarks)
    keep_epochs: bool = False  # every epoch's fp16 weights in RUN/epochs/N, to pick from


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda asked for, but torch sees no CUDA device")
    return torch.device(name)


def model_config_for(data: Dataset, hidden: int) -> ModelConfig:
    """Sizes from the options, normalization constants from the data."""
    chars = sum(len(t) for t in data.texts)
    x_height, char_width = ink_calibration(data)
    return ModelConfig(
        alphabet=data.alphabet(),
        hidden=hidden,
        kappa_scale=float(len(data.offsets) / chars),
        offset_std=[float(s) for s in data.offsets[:, :2].std(axis=0)],
        x_height=x_height,
        char_width=char_width,
    )


class _StopRequest:
    """SIGTERM / SIGINT ask the run to checkpoint after the current batch and stop."""

    def __init__(self) -> None:
        self.requested = False
        self.previous: dict = {}

    def __enter__(self) -> _StopRequest:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                self.previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: object) -> None:
        logger.info("signal %d: stopping after this batch", signum)
        self.requested = True


class Trainer:
    """Holds the model, optimizer and counters of one run; see :func:`train`."""

    def __init__(
        self, train: Dataset, val: Dataset, opts: TrainOptions, extra: Dataset | None = None
    ) -> None:
        self.train_data, self.val_data, self.opts = train, val, opts
        self.repeats = rare_repeats(train, opts.rare_repeat, also=opts.focus_chars)
        self.n_extra = 0
        if extra is not None:  # synthetic lines: at most once an epoch, never validated on
            self.train_data = train.concat(extra)
            self.repeats = np.concatenate([self.repeats, np.ones(len(extra), np.int64)])
            self.n_extra = len(extra)
        self.device = pick_device(opts.device)
        self.ckpt_path = Path(opts.run_dir) / "checkpoint.pt"
        self.epoch = self.batch = self.step = 0
        self.best_val = math.inf
        self.seconds = 0.0
        self.epoch_loss, self.epoch_points = 0.0, 0  # this epoch's NLL so far, for the log
        torch.manual_seed(opts.seed)
        if opts.resume and self.ckpt_path.is_file():
            self._load_checkpoint()
        elif opts.init is not None:
            self.model = load_weights(opts.init).train()
            meta = read_meta(opts.init)
            self.epoch, self.step = int(meta.get("epochs", 0)), int(meta.get("steps", 0))
            self.best_val = float(meta.get("val_nll_line", math.inf))
            self.seconds = float(meta.get("train_seconds", 0.0))
            self._make_optimizer()
            logger.info("starting from the weights in %s (epoch %d)", opts.init, self.epoch)
        else:
            self.model = HandwritingModel(model_config_for(train, opts.hidden))
            self._make_optimizer()
        if opts.dropout is not None:
            self.model.config.dropout = opts.dropout
        if self.model.config.x_height <= 0:  # older runs: measure the ink calibration now
            cfg = self.model.config
            cfg.x_height, cfg.char_width = ink_calibration(train)
        self.model.to(self.device)
        self.char_weight = None
        if opts.rare_weight != 1.0:
            alphabet = self.model.config.alphabet
            weights = char_weights(train, alphabet, opts.rare_weight, also=opts.focus_chars)
            self.char_weight = weights.to(self.device)
        if opts.compile:
            self.model.compile_first_layer()

    def _make_optimizer(self) -> None:
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.opts.lr)

    def lr(self) -> float:
        return self.opts.lr * self.opts.lr_decay**self.epoch

    def _load_checkpoint(self) -> None:
        ckpt = torch.load(self.ckpt_path, map_location="cpu", weights_only=True)
        self.model = HandwritingModel(ModelConfig.from_dict(ckpt["config"]))
        self.model.load_state_dict(ckpt["model"])
        self._make_optimizer()
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.epoch, self.batch, self.step = ckpt["epoch"], ckpt["batch"], ckpt["step"]
        self.best_val, self.seconds = ckpt["best_val"], ckpt["seconds"]
        self.epoch_loss = float(ckpt.get("epoch_loss", 0.0))
        self.epoch_points = int(ckpt.get("epoch_points", 0))
        torch.set_rng_state(ckpt["rng"])
        logger.info("resumed %s at epoch %d batch %d", self.ckpt_path, self.epoch, self.batch)

    def save_checkpoint(self) -> None:
        """Write the full checkpoint atomically (the weights are exported by end_epoch)."""
        self.ckpt_path.parent.mkdir(parents=True, exist_ok=True)
        ckpt = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "config": self.model.config.to_dict(),
            "epoch": self.epoch,
            "batch": self.batch,
            "step": self.step,
            "best_val": self.best_val,
            "seconds": self.seconds,
            "epoch_loss": self.epoch_loss,
            "epoch_points": self.epoch_points,
            "rng": torch.get_rng_state(),
            "options": {k: str(v) for k, v in asdict(self.opts).items()},
        }
        tmp = self.ckpt_path.with_name(self.ckpt_path.name + ".tmp")
        torch.save(ckpt, tmp)
        os.replace(tmp, self.ckpt_path)

    def export(self, folder: Path, val_nll_line: float | None = None) -> None:
        meta = {
            "epochs": self.epoch + self.batch / max(1, self._batches_per_epoch()),
            "steps": self.step,
            "val_nll_line": self.best_val if val_nll_line is None else val_nll_line,
            "train_seconds": round(self.seconds),
            "batch_size": self.opts.batch_size,
            "device": str(self.device),
        }
        save_weights(self.model, folder, meta)

    def _batches_per_epoch(self) -> int:
        return math.ceil(int(self.repeats_for(self.epoch).sum()) / self.opts.batch_size)

    def repeats_for(self, epoch: int) -> np.ndarray:
        """How often each line comes in ``epoch``. With ``extra_per_epoch`` the synthetic
        lines take turns: a permutation fixed by the seed, cut into consecutive slices of
        that many lines, one slice an epoch (wrapping round), so every synthetic line is seen
        once before any comes back and a resumed run draws the same slice."""
        per_epoch = self.opts.extra_per_epoch
        if not self.n_extra or per_epoch is None or per_epoch >= self.n_extra:
            return self.repeats
        order = np.random.default_rng([self.opts.seed, 7]).permutation(self.n_extra)
        chosen = order[(epoch * per_epoch + np.arange(per_epoch)) % self.n_extra]
        repeats = self.repeats.copy()
        first = len(repeats) - self.n_extra
        repeats[first:] = 0
        repeats[first + chosen] = 1
        return repeats

    def log_row(self, row: dict[str, Any]) -> None:
        for folder in {Path(self.opts.run_dir), *filter(None, [self.opts.export_dir])}:
            path = Path(folder) / "training_log.csv"
            new = not path.exists()
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", newline="") as fh:
                writer = csv.DictWriter(fh, LOG_FIELDS)
                if new:
                    writer.writeheader()
                writer.writerow(row)

    def _augment(self) -> tuple[float, np.random.Generator] | None:
        """The augmentation's strength and random numbers, fixed by (seed, epoch, batch) so
        that a resumed run draws the same."""
        if self.opts.augment <= 0:
            return None
        return self.opts.augment, np.random.default_rng(
            [self.opts.seed, self.epoch, self.batch]
        )

    def train_batch(self, idx: np.ndarray) -> float:
        offsets, mask, text = make_batch(
            self.train_data, idx, self.model.config.alphabet, self.device, self._augment()
        )
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr()
        with autocast(self.device, self.opts.bf16):
            nll, phi = point_nll(self.model, offsets, text)
            weight = mask
            if self.char_weight is not None:  # rare characters' points count more
                weight = mask * focus_weight(phi, text, self.char_weight)
            if self.opts.jump_weight != 1.0:  # where a late stroke lands counts more
                weight = weight * (1 + (self.opts.jump_weight - 1) * back_jumps(offsets))
            loss = (nll * weight).sum() / mask.sum()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.opts.clip)
        self.optimizer.step()
        self.step += 1
        return float((nll.detach() * mask).sum() / mask.sum())  # the plain NLL, for the log

    def run(self) -> None:
        """Train until ``epochs``, ``time_limit``, ``max_batches`` or SIGTERM/SIGINT."""
        with _StopRequest() as stop:
            self._loop(stop)

    def _loop(self, stop: _StopRequest) -> None:
        from tqdm import tqdm

        opts = self.opts
        start = last_ckpt = time.monotonic()
        done = 0
        while self.epoch < opts.epochs:
            repeats = self.repeats_for(self.epoch)
            batches = epoch_batches(
                self.train_data, opts.batch_size, opts.seed, self.epoch, repeats
            )
            bar = tqdm(
                total=len(batches),
                initial=self.batch,
                desc=f"epoch {self.epoch}",
                disable=None,
                dynamic_ncols=True,
            )
            running = None
            while self.batch < len(batches):
                tick = time.monotonic()
                idx = batches[self.batch]
                loss = self.train_batch(idx)
                points = int(self.train_data.lengths()[idx].sum())
                self.epoch_loss += loss * points
                self.epoch_points += points
                running = loss if running is None else 0.95 * running + 0.05 * loss
                self.batch += 1
                done += 1
                self.seconds += time.monotonic() - tick
                bar.update(1)
                bar.set_postfix(loss=f"{running:.3f}", lr=f"{self.lr():.2e}")
                if bar.disable and self.step % 50 == 0:
                    logger.info(
                        "epoch %d batch %d/%d step %d loss %.4f",
                        self.epoch,
                        self.batch,
                        len(batches),
                        self.step,
                        running,
                    )
                if not math.isfinite(loss):
                    raise FloatingPointError(f"loss is {loss} at step {self.step}")
                out_of_time = opts.time_limit is not None and (
                    time.monotonic() - start > opts.time_limit
                )
                enough = opts.max_batches is not None and done >= opts.max_batches
                if out_of_time or enough or stop.requested:
                    bar.close()
                    self.save_checkpoint()
                    logger.info("stopped at epoch %d batch %d", self.epoch, self.batch)
                    return
                if time.monotonic() - last_ckpt > 60 * opts.checkpoint_minutes:
                    self.save_checkpoint()
                    last_ckpt = time.monotonic()
            bar.close()
            self.end_epoch()
            last_ckpt = time.monotonic()

    def end_epoch(self) -> None:
        """Validate, log the epoch (its training NLL from every batch, resumed or not),
        export improved weights and checkpoint the start of the next epoch."""
        train_nll_point = self.epoch_loss / max(self.epoch_points, 1)
        val_line, val_point = evaluate(
            self.model, self.val_data, self.device, self.opts.batch_size, self.opts.bf16
        )
        logger.info(
            "epoch %d: train %.4f nats/point, val %.1f nats/line (%.4f/point)",
            self.epoch,
            train_nll_point,
            val_line,
            val_point,
        )
        self.log_row({
            "epoch": self.epoch + 1, "step": self.step,
            "train_nll_point": round(train_nll_point, 5), "val_nll_line": round(val_line, 2),
            "val_nll_point": round(val_point, 5), "lr": f"{self.lr():.3g}",
            "seconds": round(self.seconds),
        })  # fmt: skip
        improved = val_line < self.best_val
        self.best_val = min(self.best_val, val_line)
        self.epoch, self.batch = self.epoch + 1, 0
        self.epoch_loss, self.epoch_points = 0.0, 0
        if improved and self.opts.export_dir is not None:  # ship the best weights only
            self.export(Path(self.opts.export_dir))
        if self.opts.keep_epochs:  # each epoch's own, chosen from on legibility later
            self.export(Path(self.opts.run_dir) / "epochs" / str(self.epoch), val_line)
        self.save_checkpoint()


def train(data_path: Path, opts: TrainOptions) -> Trainer:
    """Load the prepared data, split it by form and run the training."""
    torch.set_num_threads(max(1, min(torch.get_num_threads(), os.cpu_count() or 1)))
    data = Dataset.load(data_path)
    train_set, val_set = data.split()
    logger.info("%d training lines, %d validation lines", len(train_set), len(val_set))
    extra = None
    if opts.extra is not None:
        extra = Dataset.load(opts.extra)
        logger.info("%d synthetic lines from %s", len(extra), opts.extra)
    trainer = Trainer(train_set, val_set, opts, extra)
    trainer.run()
    return trainer
