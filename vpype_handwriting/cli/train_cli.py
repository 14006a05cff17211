"""``vpype-handwriting`` training commands: prepare the data, train, evaluate and average
the weights, splice synthetic lines. Each imports the training wing (and torch) only when
it runs."""

from __future__ import annotations

from pathlib import Path

import click

from .group import cli, fail, require_torch
from .options import data_option, device_option, weights_option


@cli.command()
@click.option(
    "--data",
    "source",
    type=click.Path(exists=True, path_type=Path),
    required=True,
    help="IAM-OnDB: the extracted folder (lineStrokes/ + ascii/) or the .tar.xz.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write the prepared .npz (default: the user cache folder).",
)
@click.option(
    "--keep-every",
    type=click.IntRange(1, 4),
    default=2,
    show_default=True,
    help="Keep every n-th pen point (2 halves the points, keeping letter shapes).",
)
def prepare(source: Path, out: Path | None, keep_every: int) -> None:
    """Parse, clean, downsample and cache IAM-OnDB for training.

    Example: vpype-handwriting prepare --data iamondb-lines.tar.xz
    """
    from ..training import iamondb

    out = out or iamondb.default_cache()
    try:
        data, report = iamondb.prepare(source, out, keep_every)
    except iamondb.DataError as exc:
        fail(exc)
    train, val = data.split()
    click.echo(report.summary())
    click.echo(
        f"kept {len(data)} lines ({len(train)} train, {len(val)} validation; split by form), "
        f"{data.lengths().mean():.0f} points/line, alphabet of {len(data.alphabet())}"
    )
    click.echo(f"wrote {out}")


@cli.command()
@data_option()
@click.option(
    "--run-dir",
    type=click.Path(path_type=Path),
    default=Path("runs/main"),
    show_default=True,
    help="Folder of the full checkpoint and log.",
)
@click.option(
    "--export",
    "export_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write fp16 weights + training log here at each checkpoint.",
)
@click.option("--resume", is_flag=True, help="Continue exactly from RUN_DIR/checkpoint.pt.")
@click.option(
    "--init",
    type=click.Path(path_type=Path),
    default=None,
    help="Start from these weights (e.g. weights/) when there is no checkpoint.",
)
@click.option("--hidden", type=int, default=256, show_default=True, help="LSTM size.")
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--lr-decay", type=float, default=0.97, show_default=True, help="Per epoch.")
@click.option("--clip", type=float, default=3.0, show_default=True, help="Gradient norm.")
@click.option(
    "--dropout",
    type=float,
    default=None,
    help="Dropout between layers (default: the checkpoint's, 0 for a new run).",
)
@click.option("--epochs", type=int, default=1000, show_default=True)
@click.option("--time-limit", type=float, default=None, help="Stop cleanly after N minutes.")
@click.option("--checkpoint-minutes", type=float, default=10.0, show_default=True)
@device_option()
@click.option(
    "--bf16/--no-bf16",
    default=False,
    help="bf16 autocast (a CPU with AVX-512, or a GPU; fp32 with a warning elsewhere).",
)
@click.option(
    "--rare-repeat",
    type=click.IntRange(1, 10),
    default=1,
    show_default=True,
    help="Lines holding a rare character (digits, J, Q, X, Z, !, ...) come N times an epoch.",
)
@click.option(
    "--rare-weight",
    type=click.FloatRange(1, 10),
    default=1.0,
    show_default=True,
    help="Loss weight of the pen points written while the window is on a rare character "
    "(the same characters as --rare-repeat).",
)
@click.option(
    "--focus-chars",
    default="",
    help="Characters to treat as rare for --rare-repeat and --rare-weight however often "
    "they occur (e.g. x, which the net writes without its cross in some hands).",
)
@click.option(
    "--jump-weight",
    type=click.FloatRange(1, 20),
    default=1.0,
    show_default=True,
    help="Loss weight of the pen-up moves that go back left to add a late stroke to a "
    "letter (the cross of an x, the bar of an H, the flag of a 5).",
)
@click.option(
    "--augment",
    type=click.FloatRange(0, 0.5),
    default=0.0,
    show_default=True,
    help="Slant and stretch each training line at random by up to this much (shear, "
    "log-stretch); 0 trains on the lines as written.",
)
@click.option(
    "--extra",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Synthetic lines from `synthesize` added to the training set (once an epoch).",
)
@click.option(
    "--extra-per-epoch",
    type=click.IntRange(min=1),
    default=None,
    help="Take only this many of the --extra lines an epoch, in turns, so a large "
    "synthetic set is seen once every few epochs instead of all of it every epoch.",
)
@click.option(
    "--compile/--no-compile",
    "compile_step",
    default=False,
    help="torch.compile the step of layer 1 and the window (needs a C++ compiler; "
    "~20 s to compile, then ~10%% faster on a CPU).",
)
@click.option(
    "--keep-epochs",
    is_flag=True,
    help="Also write every epoch's fp16 weights to RUN_DIR/epochs/N (to choose the shipped "
    "epoch on legibility, not on validation NLL alone).",
)
@click.option("--seed", type=int, default=0, show_default=True)
def train(
    data_path: Path | None,
    run_dir: Path,
    export_dir: Path | None,
    resume: bool,
    init: Path | None,
    hidden: int,
    batch_size: int,
    lr: float,
    lr_decay: float,
    clip: float,
    dropout: float | None,
    epochs: int,
    time_limit: float | None,
    checkpoint_minutes: float,
    device: str,
    bf16: bool,
    rare_repeat: int,
    rare_weight: float,
    focus_chars: str,
    jump_weight: float,
    augment: float,
    extra: Path | None,
    extra_per_epoch: int | None,
    compile_step: bool,
    keep_epochs: bool,
    seed: int,
) -> None:
    """Train the synthesis network on prepared IAM-OnDB.

    Example: vpype-handwriting train --bf16 --export weights --time-limit 150 --resume
    """
    require_torch("train")
    from ..training import iamondb
    from ..training.train import TrainOptions
    from ..training.train import train as run_training

    opts = TrainOptions(
        run_dir=run_dir, export_dir=export_dir, hidden=hidden, batch_size=batch_size, lr=lr,
        lr_decay=lr_decay, clip=clip, dropout=dropout, epochs=epochs,
        time_limit=None if time_limit is None else 60 * time_limit,
        checkpoint_minutes=checkpoint_minutes, device=device, bf16=bf16, seed=seed,
        compile=compile_step, rare_repeat=rare_repeat, rare_weight=rare_weight,
        focus_chars=focus_chars, jump_weight=jump_weight, augment=augment, extra=extra,
        extra_per_epoch=extra_per_epoch, resume=resume, init=init, keep_epochs=keep_epochs,
    )  # fmt: skip
    try:
        run_training(data_path or iamondb.default_cache(), opts)
    except (ValueError, FileNotFoundError) as exc:
        fail(exc)


@cli.command()
@data_option()
@weights_option()
@click.option("--batch-size", type=int, default=64, show_default=True)
@click.option("--bf16/--no-bf16", default=False, help="bf16 autocast.")
def evaluate(
    data_path: Path | None, weights: Path | None, batch_size: int, bf16: bool
) -> None:
    """Validation NLL of the weights on the held-out forms (nats per line and per point).

    Example: vpype-handwriting evaluate --weights weights
    """
    require_torch("evaluate")
    from ..training import iamondb
    from ..training.evaluation import validation_nll
    from ..weights import load_weights

    try:
        model = load_weights(weights)
        _, val = iamondb.Dataset.load(data_path or iamondb.default_cache()).split()
        per_line, per_point = validation_nll(model, val, batch_size, bf16)
    except ValueError as exc:
        fail(exc)
    click.echo(
        f"{len(val)} validation lines: {per_line:.1f} nats/line, {per_point:.4f} nats/point"
    )


@cli.command()
@click.argument(
    "folders", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the averaged model.safetensors + model.json to.",
)
@data_option()
def average(folders: tuple[Path, ...], out: Path, data_path: Path | None) -> None:
    """Average the weights of several epochs of one run (e.g. `train --keep-epochs`).

    The mean of a run's last epochs writes more steadily than any one of them (the epochs
    of a run with small batches swing). Its validation NLL is measured when the prepared
    data is there. Other files in --out (the legibility checker) are left as they are.

    Example: vpype-handwriting average RUN/epochs/4[0-2] --out weights
    """
    require_torch("average")
    from ..training import iamondb
    from ..training.evaluation import validation_nll
    from ..weights import average_weights, save_weights

    source = data_path or iamondb.default_cache()
    try:
        model, meta = average_weights(list(folders))
        if source.is_file():
            _, val = iamondb.Dataset.load(source).split()
            meta["val_nll_line"] = round(validation_nll(model, val)[0], 2)
        save_weights(model, out, meta)
    except ValueError as exc:
        fail(exc)
    val = meta.get("val_nll_line", "not measured (no prepared data)")
    click.echo(f"averaged {len(folders)} weights into {out}; validation NLL {val}")


@cli.command()
@data_option()
@weights_option()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Prepared .npz to write (default: iamondb-synthetic.npz beside the data cache).",
)
@click.option("--lines", type=click.IntRange(1), default=2500, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def synthesize(
    data_path: Path | None, weights: Path | None, out: Path | None, lines: int, seed: int
) -> None:
    """Splice synthetic training lines of numbers (times, dates, prices) from real ink.

    The weights align each training line of the forms that hold a digit or a colon to its
    text; the lines are cut where the pen lifts between characters, and the pieces
    (words, digits, marks) are put together into new lines: `8:45`, `12/04/1998`,
    `0171 552 8890` between the writer's own words, half the numbers whole as someone
    wrote them, half digit by digit (every digit after every other, each as often; with
    the legibility checker beside the weights, only digits it reads as themselves between
    two others). Train on them with `train --extra`.

    Example: vpype-handwriting synthesize --weights weights --lines 2500
    """
    require_torch("synthesize")
    from ..training import iamondb
    from ..training.splice import synthesize as splice_lines
    from ..weights import load_weights
    from ..writer import cached_checker

    source = data_path or iamondb.default_cache()
    out = out or source.with_name("iamondb-synthetic.npz")
    try:
        model = load_weights(weights)
        checker = cached_checker(None if weights is None else str(weights))
        train_set, _ = iamondb.Dataset.load(source).split()
        made = splice_lines(model, train_set, lines, seed, checker)
        made.save(out)
    except ValueError as exc:
        fail(exc)
    click.echo(f"{len(made)} synthetic lines, {len(made.offsets)} points; wrote {out}")
