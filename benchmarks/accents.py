"""The README's accented lines: names of several languages, ß, æ, œ and signs written with
the default settings, accents and signs drawn by hand in the network's lines
(docs/accents.png). ``%%`` is vpype's way of writing a percent sign.

    python benchmarks/accents.py [--out docs/accents.png] [--seed 2] [--wrap 16cm]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

TEXT = (
    "José Muñoz, Zoë Brontë, Łukasz Żółć, Françoise Lefèvre, Åsa Øberg, "
    "Antonín Dvořák, María, Şimşek, Crăciun, Ödön Bűvös, Mañana in São Paulo. "
    "Grüße aus der Großstraße: eve.muller@example.com, € 25 or £4.50 (50%% off), "
    "#42 & [draft], Æsop's cœur, 20 °C, § 14."
)


def render(svg: Path, png: Path, width: int) -> None:
    import numpy as np
    import vpype as vp

    from vpype_handwriting.render import render_png

    doc = vp.read_multilayer_svg(str(svg), 0.1)
    polylines = [np.stack([p.real, p.imag], 1) for layer in doc.layers.values() for p in layer]
    render_png(polylines, png, width_px=width, line_width=1.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/accents.png"))
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--wrap", default="16cm")
    parser.add_argument("--width", type=int, default=1400, help="pixels")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        svg = Path(tmp) / "accents.svg"
        opts = ["handwrite", "--seed", str(args.seed), "--wrap", args.wrap, TEXT]
        opts += ["write", str(svg)]
        code = f"from vpype_cli.cli import cli; cli({opts!r})"
        subprocess.run([sys.executable, "-c", code], check=True)
        render(svg, args.out, args.width)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
