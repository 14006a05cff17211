"""``vpype-handwriting train-checker``: train the legibility checker beside the weights."""

from __future__ import annotations

from pathlib import Path

import click

from .group import cli, fail, require_torch
from .options import data_option, weights_option


@cli.command("train-checker")
@data_option()
@weights_option()
@click.option(
    "--extra",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Synthetic lines from `synthesize` to read as well (digits are rare in IAM-OnDB).",
)
@click.option("--extra-lines", type=click.IntRange(0), default=3000, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for checker.safetensors + checker.json (default: the --weights folder).",
)
@click.option(
    "--run-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("runs/checker"),
    show_default=True,
    help="Folder of the full checkpoint (resumed when present).",
)
@click.option("--hidden", type=click.IntRange(4), default=128, show_default=True)
@click.option("--epochs", type=click.IntRange(1), default=14, show_default=True)
@click.option("--lr", type=float, default=2e-3, show_default=True)
@click.option("--lr-decay", type=float, default=0.85, show_default=True, help="Per epoch.")
@click.option(
    "--quantile",
    type=click.FloatRange(0.5, 1.0),
    default=0.5,
    show_default=True,
    help="Flag sampled lines that read worse than this share of the real validation lines "
    "(a finished run only recalibrates).",
)
@click.option(
    "--min-margin",
    type=click.FloatRange(0.0),
    default=3.0,
    show_default=True,
    help="Flag sampled lines with a letter the checker reads less than this many nats "
    "surer than any other (0: never; a finished run only rewrites it).",
)
@click.option("--time-limit", type=float, default=None, help="Stop after N minutes.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--mutate",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Share of lines read with one letter dropped or doubled (in ink and text), so "
    "the checker reads what is written, not the word it expects; the --weights net aligns "
    "the lines first (once, kept in RUN_DIR).",
)
@click.option(
    "--swap",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Of the --mutate lines, the share with a letter written in another letter's ink "
    "(from another line) and labelled as that letter.",
)
@click.option(
    "--init",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Start from the checker in this folder (when there is no checkpoint).",
)
def train_checker(
    data_path: Path | None,
    weights: Path | None,
    extra: Path | None,
    extra_lines: int,
    out: Path | None,
    run_dir: Path,
    hidden: int,
    epochs: int,
    lr: float,
    lr_decay: float,
    quantile: float,
    min_margin: float,
    time_limit: float | None,
    seed: int,
    mutate: float,
    swap: float,
    init: Path | None,
) -> None:
    """Train the legibility checker: a small handwriting recognizer (BiLSTM-CTC) that
    ``handwrite`` uses to write again the lines it cannot read as their text.

    It learns from the same prepared IAM-OnDB lines and split as the synthesis net, reads
    the characters of the weights' alphabet, and is written (fp16 safetensors + JSON, with
    the flagging threshold calibrated on the validation lines) beside the weights.

    Example: vpype-handwriting train-checker --weights weights --time-limit 90
    """
    require_torch("train-checker")
    import numpy as np
    import torch

    from ..training import iamondb
    from ..training.checker_train import CheckerOptions, CheckerTrainer
    from ..training.mutations import point_chars
    from ..weights import default_weights, load_weights, read_meta

    folder = Path(weights) if weights is not None else default_weights()
    folder = folder if folder.is_dir() else folder.parent
    torch.set_num_threads(1)  # beside a synthesis run; the LSTMs are too small for two
    try:
        alphabet = read_meta(folder)["config"]["alphabet"]
        train_set, val = iamondb.Dataset.load(data_path or iamondb.default_cache()).split()
        if extra is not None and extra_lines:
            more = iamondb.Dataset.load(extra)
            train_set = train_set.concat(more.subset(np.arange(len(more)) < extra_lines))
        opts = CheckerOptions(
            out_dir=out or folder, run_dir=run_dir, hidden=hidden, epochs=epochs, lr=lr,
            lr_decay=lr_decay, quantile=quantile, min_margin=min_margin, seed=seed,
            time_limit=None if time_limit is None else 60 * time_limit, mutate=mutate,
            swap=swap, init=init,
        )  # fmt: skip
        chars = None
        if mutate > 0:
            chars = point_chars(load_weights(folder), train_set, run_dir / "alignment.npz")
        trainer = CheckerTrainer(train_set, val, alphabet, opts, chars)
        trainer.run()
    except (ValueError, KeyError) as exc:
        fail(exc)
    click.echo(f"checker at epoch {trainer.epoch}; written to {opts.out_dir}")
