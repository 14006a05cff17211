"""Defaults shared by the library and the commands (no torch here: the CLI imports it)."""

#: Sampling bias (Graves' eqs. 61-62): 0 = raw samples, higher = neater.
BIAS = 1.5  # reader CER 0.058 at 1.5 vs 0.084 at 0.75 (epoch 11 weights)
#: x-height of the letters, as a vpype length.
SIZE = "2.5mm"
