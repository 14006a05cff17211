"""Defaults shared by the library and the commands (no torch here: the CLI imports it)."""

#: Sampling bias (Graves' eqs. 61-62): 0 = raw samples, higher = neater. Reader CER at
#: epoch 25 with style 8: 0.020, 0.023, 0.012, 0.018 at 0.75, 1.0, 1.5, 2.0.
BIAS = 1.5
#: Pen lifts the net gives less than this probability are not drawn while its window is
#: still on the text (a lift inside a letter breaks it: an ``m`` into ``ni``, an ``h`` into
#: ``li``). Reader CER of benchmarks/legibility.py without the checker at epoch 33, 3 seeds:
#: 0.014 with every lift drawn, 0.010 / 0.008 / 0.005 for a floor of 0.02 / 0.05 / 0.1.
LIFT_FLOOR = 0.1
#: The hand written when no --style is given: built-in style 8, the clearest in the reader's
#: eyes (3 seeds of benchmarks/legibility.py: CER 0.028 vs 0.036 with no style at epoch 13,
#: 0.012 vs 0.021 at epoch 25). One style for every line keeps a page in one hand; ``none``
#: lets each line take a hand of its own.
STYLE = "8"
NO_STYLE = "none"
#: x-height of the letters, as a vpype length.
SIZE = "2.5mm"
