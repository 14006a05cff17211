"""Specimen sheet of the shipped weights: the model's own hand and every built-in style.

python benchmarks/specimen.py [--out docs/styles.png] [--bias 0.75] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/styles.png"))
    parser.add_argument("--text", default="Dear Tom, thank you for the lovely flowers.")
    parser.add_argument("--bias", type=float, default=None, help="default: the command's")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from vpype_handwriting.sampling import SampleOptions
    from vpype_handwriting.specimen import specimen_sheet

    bias = SampleOptions().bias if args.bias is None else args.bias
    args.out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    specimen_sheet(args.out, args.text, None, bias, args.seed)
    print(f"wrote {args.out} (bias {bias}) in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
