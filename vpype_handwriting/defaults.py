"""Defaults shared by the library and the commands (no torch here: the CLI imports it)."""

#: Sampling bias (Graves' eqs. 61-62): 0 = raw samples, higher = neater.
BIAS = 0.75
#: x-height of the letters, as a vpype length.
SIZE = "2.5mm"
