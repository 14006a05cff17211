"""Judging attempts at a line: the legibility checker's verdict on a batch of written
lines, and the order of preference that picks the attempt a line keeps."""

from __future__ import annotations

import math

from .checker import Checker, misread
from .lines import SampledLine


def rank(line: SampledLine) -> tuple[bool, bool, int, float, float]:
    """Order of preference between attempts at one line: no failure, not sent back by the
    checker, fewest characters the checker misread, no letter it reads too unsurely (and
    of those that have one, the surest such letter), then its score (lower reads more
    clearly as the text): of attempts all sent back, one that reads ``8890`` as ``8S90``
    beats a better-scored one missing a letter."""
    score = line.legibility if line.legibility is not None else 0.0
    unsure = -line.margin if line.weak and line.margin is not None else -math.inf
    return line.failure is not None, line.sent_back, line.misread, unsure, score


def judge(lines: list[SampledLine], checker: Checker | None) -> None:
    """Score the lines that passed :func:`lines.check_line` with the checker, all in one batch,
    and mark those it sends back (``sent_back``)."""
    todo = [line for line in lines if line.failure is None]
    if checker is None or not todo:
        return
    judged = checker.assess_batch([ln.offsets for ln in todo], [ln.text for ln in todo])
    for line, seen in zip(todo, judged):
        line.legibility, line.reading = seen.score, seen.reading
        line.margin, line.weakest = seen.margin, seen.weakest
        line.misread = misread(seen.reading, line.text)
        line.weak = checker.weak(seen)
        line.sent_back = checker.sends_back(seen, line.text)
