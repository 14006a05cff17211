"""Defaults shared by the library and the commands (no torch here: the CLI imports it)."""

#: Sampling bias (Graves' eqs. 61-62): 0 = raw samples, higher = neater.
BIAS = 1.5  # reader CER 0.058 at 1.5 vs 0.084 at 0.75 (epoch 11 weights)
#: The hand written when no --style is given: built-in style 8, the clearest in the reader's
#: eyes (epoch 13 weights, 3 seeds of benchmarks/legibility.py: CER 0.028 vs 0.036 with no
#: style). One style for every line keeps a page in one hand; ``none`` lets each line
#: take a hand of its own.
STYLE = "8"
NO_STYLE = "none"
#: x-height of the letters, as a vpype length.
SIZE = "2.5mm"
