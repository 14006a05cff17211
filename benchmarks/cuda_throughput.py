"""The batched sampler on a GPU: characters per second by batch size (torch engine).

Lines of ~40 characters in the default style, no retries, as ``sample_speed.py`` measures
the numpy engine on the CPU; the first batch warms the GPU up and is not counted.

    python benchmarks/cuda_throughput.py [--device cuda] [--batches 32,128,512,2048]
                                         [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import report  # beside this script

LINE = "We hope to visit again in the autumn, if it suits you"[:40]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batches", default="32,128,512,2048")
    parser.add_argument("--json", type=Path, default=None, help="save the figures here")
    args = parser.parse_args()
    import torch

    from vpype_handwriting import defaults
    from vpype_handwriting.lines import Prime
    from vpype_handwriting.sampling import SampleOptions, sample_lines
    from vpype_handwriting.weights import load_weights, shipped_weights

    model = load_weights(None, args.device)
    doc = json.loads((shipped_weights() / "styles" / f"{defaults.STYLE}.json").read_text())
    prime = Prime(torch.tensor(doc["offsets"]).numpy().astype("float32"), doc["text"])
    opts = SampleOptions(seed=1, retries=0, prime=prime, progress=False)
    sample_lines(model, [LINE] * 8, opts)  # warm-up
    rows = []
    for n in (int(b) for b in args.batches.split(",")):
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        lines = sample_lines(model, [LINE] * n, opts)
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
        failed = sum(1 for line in lines if line.failure is not None)
        rows.append((n, n * len(LINE) / seconds, seconds, failed))
        print(f"{n:5d} lines: {rows[-1][1]:9.0f} chars/s, {seconds:.1f} s, {failed} failed")
    name = torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device
    report.save(
        args.json,
        "cuda_throughput",
        [(f"batched sampler on {name}, lines of 40 characters, torch {torch.__version__}",
          ", ".join(f"{cps:.0f} chars/s at {n}" for n, cps, _, _ in rows)),
         ("first attempts failing the sampler's checks",
          ", ".join(f"{f} of {n}" for n, _, _, f in rows))],
    )  # fmt: skip


if __name__ == "__main__":
    main()
