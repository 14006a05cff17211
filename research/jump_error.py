"""Where late strokes land: the pen-up moves of real validation lines, teacher forced.

The letters the default hand writes worst (an ``x`` whose second stroke misses the first,
an ``H`` whose bar crosses the left upright like a ``t``, an ``E`` whose arms float, a ``5``
whose flag flies off) all end in a pen-up move back left to a letter already written. This
reads every validation line through the network teacher forced and, at each pen-up move,
takes the landing the sampler would draw at ``--bias`` with its noise left out (the mean of
the mixture component it sharpens most), and prints how far that lands from where the
writer put the pen down, in x-heights: for the moves back left (late strokes) and on to
the right, overall and by the character the attention window weighs most (one figure
for each weights folder given). Pen-down steps are listed for scale.

    python research/jump_error.py [--weights weights RUN/epochs/58 ...] [--bias 1.5]
                                    [--chars xHE5tiT]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np


def landing_errors(weights: Path, bias: float, data: Path | None) -> dict[tuple, list]:
    """Landing error (x-heights) of every pen-up move, keyed by (kind, character)."""
    import torch

    from vpype_handwriting.model import teacher_inputs
    from vpype_handwriting.training import iamondb
    from vpype_handwriting.training.batches import back_jumps, make_batch, pen_up_moves
    from vpype_handwriting.weights import load_weights

    model = load_weights(weights).eval()
    cfg = model.config
    _, val = iamondb.Dataset.load(data or iamondb.default_cache()).split()
    order = np.argsort(val.lengths())
    errors: dict[tuple, list] = defaultdict(list)
    with torch.no_grad():
        for b in range(0, len(val), 32):
            idx = order[b : b + 32]
            offsets, mask, text = make_batch(val, idx, cfg.alphabet, torch.device("cpu"))
            mix, _, phi = model(teacher_inputs(offsets), text)
            top = torch.log_softmax(mix.log_pi * (1 + bias), -1).argmax(-1)  # eq. 61
            land = torch.gather(mix.mu, 2, top[..., None, None].expand(-1, -1, 1, 2))[:, :, 0]
            err = ((land - offsets[..., :2]).norm(dim=-1) / cfg.x_height).numpy()
            valid = mask.bool().numpy()
            lifted = pen_up_moves(offsets).numpy() & valid
            back = back_jumps(offsets).numpy()
            chars = (torch.gather(text, 1, phi.argmax(-1)) - 2).numpy()  # alphabet index
            for r, t in zip(*np.nonzero(lifted)):
                kind = "back" if back[r, t] else "on"
                c = chars[r, t]
                name = cfg.alphabet[c] if 0 <= c < len(cfg.alphabet) else "END"
                errors[(kind, name)].append(err[r, t])
                errors[(kind, "all")].append(err[r, t])
            errors[("down", "all")].extend(err[valid & ~lifted])
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, nargs="+", default=[Path("weights")])
    parser.add_argument("--bias", type=float, default=1.5)
    parser.add_argument("--chars", default="xHE5tiT", help="characters to list")
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    runs = [landing_errors(w, args.bias, args.data) for w in args.weights]
    keys = [("down", "all"), ("on", "all"), ("back", "all")]
    keys += [("back", c) for c in args.chars] + [("on", c) for c in args.chars]
    print(f"landing error in x-heights (median / mean), teacher forced, bias {args.bias}")
    print(
        f"{'move':6s}{'char':6s}{'n':>6s}  "
        + "  ".join(f"{w.name:>14s}" for w in args.weights)
    )
    for kind, c in keys:
        n = len(runs[0].get((kind, c), []))
        if n == 0:
            continue
        cells = [f"{np.median(r[(kind, c)]):6.3f} /{np.mean(r[(kind, c)]):6.3f}" for r in runs]
        print(f"{kind:6s}{c!r:6s}{n:6d}  " + "  ".join(f"{s:>14s}" for s in cells))


if __name__ == "__main__":
    main()
