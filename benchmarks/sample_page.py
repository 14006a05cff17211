"""The README's sample page: a letter written with the default settings, drawn on its page.

Runs ``vpype -s SEED handwrite --wrap WRAP --file letter.txt layout a4 write`` and renders the
SVG with the page's outline as a PNG (docs/sample.png).

    python benchmarks/sample_page.py [--out docs/sample.png] [--seed 3] [--wrap 17cm]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/sample.png"))
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--wrap", default="17cm")
    parser.add_argument("--letter", type=Path, default=HERE / "letter.txt")
    parser.add_argument("--width", type=int, default=1100, help="pixels")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import vpype as vp

    with tempfile.TemporaryDirectory() as tmp:
        svg = Path(tmp) / "page.svg"
        cmd = (
            f"from vpype_cli.cli import cli; cli(['-s', '{args.seed}', 'handwrite', '--wrap', "
            f"'{args.wrap}', '--file', '{args.letter}', 'layout', 'a4', 'write', '{svg}'])"
        )
        subprocess.run([sys.executable, "-c", cmd], check=True)
        doc = vp.read_multilayer_svg(str(svg), 0.1)
    w, h = doc.page_size
    fig = plt.figure(figsize=(args.width / 100, args.width / 100 * h / w), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.plot([0, w, w, 0, 0], [0, 0, h, h, 0], "k-", lw=1.5)
    for layer in doc.layers.values():
        for line in layer:
            ax.plot(line.real, line.imag, "k-", lw=0.9, solid_capstyle="round")
    ax.set_xlim(-0.01 * w, 1.01 * w)
    ax.set_ylim(1.01 * h, -0.01 * h)
    ax.set_aspect("equal")
    ax.axis("off")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, facecolor="white")
    x0, y0, x1, y1 = doc.bounds()
    print(
        f"wrote {args.out}: ink {x0 / 37.8:.1f}-{x1 / 37.8:.1f} cm across, "
        f"{y0 / 37.8:.1f}-{y1 / 37.8:.1f} cm down a {w / 37.8:.1f} x {h / 37.8:.1f} cm page"
    )


if __name__ == "__main__":
    main()
