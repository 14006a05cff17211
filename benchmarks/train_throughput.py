"""Training throughput: the shipped configuration against a plain step-by-step loop.

Both run forward + backward + Adam step on the same synthetic batch (lines of ``--points``
points and ~30 characters, the sizes of preprocessed IAM-OnDB) in the same process. "plain"
is the textbook PyTorch way: three ``nn.LSTMCell`` layers and the window stepped together in
a Python loop, indexing ``x[:, t]``. "shipped" is ``HandwritingModel``: only layer 1 and the
window step by step (inputs projected once, ``unbind`` instead of indexing), layers 2-3 fused
``nn.LSTM``, optionally under bf16 autocast and with the layer-1 step compiled
(``torch.compile``, as ``train --compile``, in fp32 and in bf16; its compile time is left
out). The ratio is the
figure that counts, since absolute times drift on shared machines.

    python benchmarks/train_throughput.py [--batch 32] [--points 330] [--repeats 3]
                                          [--no-compile] [--hidden 400] [--json FILE]

The bf16 rows are skipped where the CPU cannot run a bf16 LSTM (oneDNN needs AVX-512), the
compiled rows where torch.compile finds no C compiler, each with a note.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import time
from collections.abc import Callable
from pathlib import Path

import report  # beside this script
import torch
from torch import nn
from torch.nn import functional as F

from vpype_handwriting.model import HandwritingModel, ModelConfig, log_likelihood
from vpype_handwriting.training.evaluation import bf16_works
from vpype_handwriting.weights import shipped_weights


class PlainLoop(nn.Module):
    """The same network written the plain way: every layer stepped in one Python loop."""

    def __init__(self, ref: HandwritingModel) -> None:
        super().__init__()
        cfg = self.config = ref.config
        h, v = cfg.hidden, cfg.vocab
        self.cell1 = nn.LSTMCell(3 + v, h)
        self.cell2 = nn.LSTMCell(3 + h + v, h)
        self.cell3 = nn.LSTMCell(3 + h + v, h)
        self.window = ref.window.__class__(h, cfg.window_k, cfg.kappa_scale)
        self.out = copy.deepcopy(ref)  # its mixture() with this loop's own head
        self.head = self.out.head

    def forward(self, x: torch.Tensor, text: torch.Tensor):
        chars = F.one_hot(text, self.config.vocab).float()
        mask = (text != 0).float()
        u = torch.arange(text.shape[1], dtype=torch.float32)
        b, h = x.shape[0], self.config.hidden
        s1 = s2 = s3 = (torch.zeros(b, h), torch.zeros(b, h))
        kappa = torch.zeros(b, self.config.window_k)
        w = torch.zeros(b, self.config.vocab)
        outs = []
        for t in range(x.shape[1]):
            xt = x[:, t]
            s1 = self.cell1(torch.cat([xt, w], -1), s1)
            w, kappa, _ = self.window(s1[0], kappa, chars, mask, u)
            s2 = self.cell2(torch.cat([xt, s1[0], w], -1), s2)
            s3 = self.cell3(torch.cat([xt, s2[0], w], -1), s3)
            outs.append(torch.cat([s1[0], s2[0], s3[0]], -1))
        return self.out.mixture(torch.stack(outs, 1))


def batch(cfg: ModelConfig, size: int, points: int):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(size, points, 3, generator=g) * 1.5
    x[..., 2] = (torch.rand(size, points, generator=g) < 0.08).float()
    text = torch.randint(2, cfg.vocab, (size, 30), generator=g)
    return x, text


def time_steps(rows: list[tuple[str, nn.Module, Callable]], repeats: int) -> list[float]:
    """Seconds per step (forward + backward + Adam) of each row: the best of ``repeats``,
    taken in turns (plain, shipped, ..., plain, ...) so that a slow spell of a shared
    machine hits every row alike."""
    opts = [torch.optim.Adam(model.parameters(), 1e-3) for _, model, _ in rows]
    best = [float("inf")] * len(rows)
    for r in range(repeats + 1):
        for k, ((_, _, step), opt) in enumerate(zip(rows, opts)):
            t0 = time.perf_counter()
            loss = step()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if r:  # the first turn warms up (and compiles)
                best[k] = min(best[k], time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--points", type=int, default=330)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-compile", action="store_true", help="skip the compiled row")
    parser.add_argument("--hidden", type=int, help="LSTM width (default: the shipped one's)")
    parser.add_argument("--json", type=Path, default=None, help="save the figures here")
    args = parser.parse_args()
    doc = json.loads((Path(shipped_weights()) / "model.json").read_text())
    if args.hidden:
        doc["config"]["hidden"] = args.hidden
    cfg = ModelConfig.from_dict(doc["config"])
    model = HandwritingModel(cfg).train()
    x, text = batch(cfg, args.batch, args.points)
    inputs = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], 1)
    plain = PlainLoop(model).train()

    def shipped(model: HandwritingModel, bf16: bool):
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()

        def step():
            with ctx:
                mix, _, _ = model(inputs, text)
            return -log_likelihood(mix, x).mean()

        return step

    def plain_step():
        return -log_likelihood(plain(inputs, text), x).mean()

    n = args.batch
    rows = [
        ("plain step-by-step loop, fp32", plain, plain_step),
        ("shipped, fp32", model, shipped(model, False)),
    ]
    bf16 = bf16_works("cpu")  # oneDNN's bf16 LSTM needs AVX-512
    if bf16:
        rows.append(("shipped, bf16 autocast", model, shipped(model, True)))
    else:
        print("skipped: the bf16 rows (this CPU cannot run a bf16 LSTM)")
    if not args.no_compile:  # fp32 on every CPU, bf16 where it runs
        for half in (False, True) if bf16 else (False,):
            compiled = copy.deepcopy(model)
            compiled.compile_first_layer()
            step = shipped(compiled, half)
            t0 = time.perf_counter()
            try:
                step().backward()  # compiles
            except Exception as exc:  # noqa: BLE001 - no C compiler for torch.compile
                print(f"skipped: the compiled rows ({str(exc).splitlines()[0][:120]})")
                break
            print(f"compiling the layer-1 step: {time.perf_counter() - t0:.0f} s")
            name = "bf16 + compiled step" if half else "fp32, compiled step"
            rows.append((f"shipped, {name}", compiled, step))
    times = time_steps(rows, args.repeats)
    print(
        f"{cfg.hidden}x3 LSTM, batch {n} x {args.points} points, {torch.get_num_threads()} "
        f"threads, torch {torch.__version__}"
    )
    for (name, _, _), sec in zip(rows, times):
        print(f"{name:32s} {n / sec:7.1f} seq/s  {sec:6.2f} s/step  x{times[0] / sec:.2f}")
    lines = 11414
    print(
        f"epoch of {lines} training lines at the best rate: "
        f"{lines / (n / min(times)) / 60:.1f} min"
    )
    threads = torch.get_num_threads()
    setup = f"{cfg.hidden}x3 LSTM, batch {n} x {args.points} points, {threads} threads"
    report.save(
        args.json,
        "train_throughput",
        [
            (f"{name} ({setup})", f"{n / sec:.1f} sequences/s, x{times[0] / sec:.2f}")
            for (name, _, _), sec in zip(rows, times)
        ],
    )


if __name__ == "__main__":
    main()
