"""Defaults shared by the library and the commands (no torch here: the CLI imports it)."""

#: Sampling bias (Graves' eqs. 61-62): 0 = raw samples, higher = neater. Reader CER at
#: epoch 25 with style 8: 0.020, 0.023, 0.012, 0.018 at 0.75, 1.0, 1.5, 2.0.
BIAS = 1.5
#: Pen lifts the net gives less than this probability are not drawn while its window is
#: still on the text (a lift inside a letter breaks it: an ``m`` into ``ni``, an ``h`` into
#: ``li``). Reader CER of benchmarks/legibility.py without the checker at epoch 33, 3 seeds:
#: 0.014 with every lift drawn, 0.010 / 0.008 / 0.006 for a floor of 0.02 / 0.05 / 0.1.
LIFT_FLOOR = 0.1
#: With the legibility checker, each line is written this often side by side and the attempt
#: it reads best is kept (two cores write two at once about as fast as one).
CANDIDATES = 2
#: The hand written when no --style is given: built-in style 1. With the lift floor and the
#: checker (epoch 33, 6 seeds of benchmarks/legibility.py) it reads as well as style 8 (the
#: default until then: CER 0.006 vs 0.007 on the sentences, 0.029 vs 0.030 on the digit
#: sentences), its first attempts fail less (1 of 252 lines vs 3) and its digits are
#: closed and upright where style 8's open 4 reads as L or h. One style for every line
#: keeps a page in one hand; ``none`` lets each line take a hand of its own.
STYLE = "1"
NO_STYLE = "none"
#: x-height of the letters, as a vpype length.
SIZE = "2.5mm"
