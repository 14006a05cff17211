from __future__ import annotations

import numpy as np

from vpype_handwriting.checker import Assessment
from vpype_handwriting.lines import (
    Prime,
    SampledLine,
    check_line,
    trim_after_end,
    trim_after_final_stop,
    trim_prime_leftover,
)
from vpype_handwriting.sampling import THOROUGH, SampleOptions, sample_lines

from .conftest import as_numpy, tiny_config, tiny_model


def window_bias(model, kappa_step: float, eos: float | None = None):
    """Set the torch model's window step (and pen-lift logit) to fixed values."""
    import torch

    k = model.config.window_k
    with torch.no_grad():
        model.window.proj.weight[2 * k :].zero_()
        model.window.proj.bias[2 * k :] = kappa_step
        if eos is not None:
            model.head.weight[0].zero_()
            model.head.bias[0] = eos
    return model


def test_same_seed_gives_identical_strokes(backend) -> None:
    model = tiny_model()
    texts = ["hello", "a longer line here"]
    a = sample_lines(backend(model), texts, SampleOptions(seed=5))
    b = sample_lines(backend(model), texts, SampleOptions(seed=5))
    c = sample_lines(backend(model), texts, SampleOptions(seed=6))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.offsets, y.offsets)
    assert not all(np.array_equal(x.offsets, z.offsets) for x, z in zip(a, c))


def test_one_line_per_text_in_order_ending_with_a_pen_lift(backend) -> None:
    model = tiny_model()
    texts = ["one", "two words", "three words here"]
    lines = sample_lines(backend(model), texts, SampleOptions(seed=1))
    assert [line.text for line in lines] == texts
    for line in lines:
        assert line.offsets.shape[1] == 3 and line.offsets[-1, 2] == 1
        assert line.phi.shape == (len(line.offsets), len(line.text) + 1)


def test_stuck_attention_is_detected_as_a_runaway_and_resampled(backend) -> None:
    model = window_bias(tiny_model(), kappa_step=-12.0)  # kappa never advances
    (line,) = sample_lines(backend(model), ["stuck"], SampleOptions(seed=0, retries=2))
    assert line.failure is not None and "ran away" in line.failure
    assert line.attempts == 3
    limit = model.config.kappa_scale * SampleOptions().max_steps_per_char * (len("stuck") + 1)
    assert len(line.offsets) == int(limit)


def test_a_line_that_ends_far_too_early_is_flagged(backend) -> None:
    model = window_bias(tiny_model(), kappa_step=4.0, eos=8.0)  # rushes through the text
    (line,) = sample_lines(
        backend(model), ["a sentence of some length"], SampleOptions(seed=0)
    )
    assert line.failure is not None and "too few points" in line.failure


def test_a_healthy_line_finishes_once_the_window_passes_the_end(backend) -> None:
    model = window_bias(tiny_model(), kappa_step=np.log(1.0), eos=0.0)
    (line,) = sample_lines(backend(model), ["abcdef"], SampleOptions(seed=0))
    expected = model.config.kappa_scale * (len("abcdef") + 0.5)
    assert 0.5 * expected < len(line.offsets) < 1.5 * expected
    assert line.phi[-1].argmax() >= len("abcdef") - 1  # on the last character or END


def test_improbable_pen_lifts_are_not_drawn_inside_the_text(backend) -> None:
    # every step lifts the pen with probability 0.05: a lift inside a letter breaks it
    model = window_bias(tiny_model(), kappa_step=np.log(1.0), eos=float(np.log(0.05 / 0.95)))
    text = "abcdefghij"
    floored = sample_lines(backend(model), [text] * 4, SampleOptions(seed=2, retries=0))
    drawn = sample_lines(
        backend(model), [text] * 4, SampleOptions(seed=2, retries=0, lift_floor=0.0)
    )

    def lifts_before_end(line: SampledLine) -> int:
        at_end = np.flatnonzero(line.phi.argmax(1) >= len(text))
        first = at_end[0] if len(at_end) else len(line.offsets) - 1  # the last is forced
        return int(line.offsets[:first, 2].sum())

    # no lift until the window first reaches END; from there the line ends on a lift
    assert [lifts_before_end(line) for line in floored] == [0] * 4
    assert sum(line.failure is None or "ran away" not in line.failure for line in floored) >= 3
    assert sum(map(lifts_before_end, drawn)) >= 4  # ~0.05 a step on the text, no floor


def test_check_line_finds_a_skipped_character() -> None:
    text = "cat"
    phi = np.zeros((30, 4))
    phi[:10, 0] = 1
    phi[10:20, 2] = 1  # 'a' never in focus
    phi[20:, 3] = 1
    offsets = np.tile([1.0, 0.0, 0.0], (30, 1))
    config = tiny_config(kappa_scale=10.0, char_width=10.0)
    failure = check_line(SampledLine(text, offsets, phi), config, hit_limit=False)
    assert failure is not None and "'a'" in failure
    phi[5:10, 1] = 1
    assert check_line(SampledLine(text, offsets, phi), config, False) is None


def test_check_line_finds_stuck_attention_and_absurd_widths() -> None:
    config = tiny_config(kappa_scale=10.0, char_width=10.0)
    text = "cats and dogs"
    dwell = [8] * len(text)
    dwell[1] = 50  # 'a' scribbled over for 5 characters' worth of points
    phi = np.repeat(np.eye(len(text) + 1)[: len(text)], dwell, axis=0)
    offsets = np.tile([0.9, 0.0, 0.0], (len(phi), 1))
    assert "stuck on character 2" in check_line(SampledLine(text, offsets, phi), config, False)
    text = "cat"
    phi = np.repeat(np.eye(4)[:3], 10, axis=0)
    narrow = np.tile([0.1, 0.0, 0.0], (30, 1))  # 3 units for 3 characters of ~10
    assert "as wide per character" in check_line(SampledLine(text, narrow, phi), config, False)


def test_priming_continues_from_a_style_sample(backend) -> None:
    model = tiny_model()
    prime = Prime(np.tile([1.0, 0.2, 0.0], (40, 1)).astype(np.float32), "sample")
    prime.offsets[9::10, 2] = 1
    lines = sample_lines(backend(model), ["hi", "there"], SampleOptions(seed=2, prime=prime))
    plain = sample_lines(backend(model), ["hi", "there"], SampleOptions(seed=2))
    assert [line.phi.shape[1] for line in lines] == [3, 6]
    assert not np.array_equal(lines[0].offsets, plain[0].offsets)


def test_lines_leave_the_batch_as_they_finish_and_keep_their_own_points(backend) -> None:
    model = window_bias(tiny_model(), kappa_step=np.log(1.0), eos=0.0)
    texts = ["ab", "a much longer line of text here", "mid length"]
    lines = sample_lines(backend(model), texts, SampleOptions(seed=3))
    for line in lines:
        expected = model.config.kappa_scale * (len(line.text) + 0.5)
        assert 0.5 * expected < len(line.offsets) < 1.5 * expected
        assert line.phi[-1].argmax() >= len(line.text) - 1
        assert line.phi.shape == (len(line.offsets), len(line.text) + 1)


def test_strokes_drawn_after_the_text_ended_are_dropped() -> None:
    text = "ab"
    offsets = np.tile([1.0, 0.0, 0.0], (30, 1))
    offsets[[9, 19, 29], 2] = 1  # three strokes of 10 points
    phi = np.zeros((30, 3))
    phi[:10, 0] = phi[10:20, 1] = phi[20:, 2] = 1  # the third stroke: window on END
    trimmed = trim_after_end(SampledLine(text, offsets, phi))
    assert len(trimmed.offsets) == 20 and trimmed.offsets[-1, 2] == 1
    phi[20, 2], phi[20, 1] = 0, 1  # started while still on 'b': part of the text
    assert len(trim_after_end(SampledLine(text, offsets, phi)).offsets) == 30


def _word_then_marks(*marks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets of "it": a 10-point stroke 0 → 10 units right, then each mark (points
    relative to the last pen position) as its own stroke with the window on END."""
    offsets = [np.tile([1.0, 0.0, 0.0], (10, 1))]
    for mark in marks:
        steps = np.diff(mark, axis=0, prepend=[[0, 0]])
        offsets.append(np.column_stack([steps, np.zeros(len(mark))]))
    for o in offsets:
        o[-1, 2] = 1
    phi = np.zeros((sum(len(o) for o in offsets), 3))
    phi[:10, 1], phi[10:, 2] = 1, 1
    return np.vstack(offsets), phi


def test_a_delayed_bar_over_a_final_t_is_kept_and_what_follows_dropped() -> None:
    x_height = 5.0
    bar = np.array([[-4.0, -4.0], [-2.0, -4.2], [0.0, -4.0]])  # flat, back over the stem
    stray = np.array([[4.0, 0.0], [6.0, -5.0], [8.0, 0.0]])  # a tall stroke to the right
    offsets, phi = _word_then_marks(bar, stray)
    kept = trim_after_end(SampledLine("it", offsets, phi), x_height)
    assert len(kept.offsets) == 13  # the word and its bar
    assert len(trim_after_end(SampledLine("it", offsets, phi)).offsets) == 10  # no x-height
    assert len(trim_after_end(SampledLine("ib", offsets, phi), x_height).offsets) == 10
    far = np.array([[10.0, -4.0], [12.0, -4.0]])  # flat but well right of the word
    offsets, phi = _word_then_marks(far)
    assert len(trim_after_end(SampledLine("it", offsets, phi), x_height).offsets) == 10


def test_a_text_ending_in_t_waits_for_its_third_pen_lift_on_end() -> None:
    from vpype_handwriting.sampling import _Active

    class Engine:  # the numpy engine's array helpers, no network
        xp = np
        array, numpy, nonzero = (
            staticmethod(np.array),
            staticmethod(np.asarray),
            staticmethod(np.flatnonzero),
        )

        def keep(self, rows: np.ndarray) -> None:
            pass

    active = _Active(Engine(), ends=[2, 2, 2], limit=50, lifts=[1, 3, 3], grace=3)
    on_end = np.array([[0.0, 0.0, 1.0]] * 3)
    lifts = {0: [1, 0, 0], 1: [0, 0, 0], 2: [1, 1, 0], 3: [0, 0, 0], 4: [1, 1, 1]}
    for t, pen in lifts.items():
        active.record(t, np.column_stack([np.zeros((3, 2)), pen]), on_end)
    # row 0: its first lift on END; row 1: 3 steps on END passed (grace), then a lift;
    # row 2: its third lift
    assert active.lengths.tolist() == [1, 5, 5] and active.done.all()
    active = _Active(Engine(), ends=[2], limit=50, lifts=[3], grace=10)
    for t, pen in lifts.items():
        active.record(t, np.array([[0.0, 0.0, pen[1]]]), on_end[:1])
    assert not active.done[0]  # two lifts, grace not over: still writing


def test_strokes_finishing_the_style_text_are_dropped() -> None:
    offsets = np.tile([1.0, 0.0, 0.0], (30, 1))
    offsets[[9, 19, 29], 2] = 1
    phi = np.zeros((30, 8))  # prime "ab" + " " (lo = 3), then the new text
    phi[:10, 1] = 1  # still on the prime's 'b'
    phi[10:20, 3] = phi[20:, 4] = 1
    kept, kept_phi = trim_prime_leftover(offsets, phi, lo=3)
    assert len(kept) == 20 and len(kept_phi) == 20
    phi[:10, 1], phi[:10, 2] = 0, 1  # on the joining space: may be the first letter
    assert len(trim_prime_leftover(offsets, phi, lo=3)[0]) == 30


def strokes_line(text: str, strokes: list[tuple[int, float, int]]) -> SampledLine:
    """A line of strokes given as (points, extent, focus): each a diagonal run of points."""
    offsets, phi = [], []
    for n, size, focus in strokes:
        step = size / max(n - 1, 1)
        run = np.tile([step, step, 0.0], (n, 1))
        run[0, :2] = 1.0  # the pen-up move to the stroke's start
        run[-1, 2] = 1.0
        offsets.append(run)
        phi.append(np.tile(np.eye(len(text) + 1)[focus], (n, 1)))
    return SampledLine(text, np.concatenate(offsets), np.concatenate(phi))


def test_stray_marks_after_the_final_full_stop_are_dropped() -> None:
    # 'o', 'k' (with a small kick on '.'), the dot, then a hook drawn while moving to END
    line = strokes_line(
        "ok.", [(10, 3.0, 0), (10, 3.0, 1), (3, 1.3, 2), (3, 0.2, 2), (8, 3, 3)]
    )
    trimmed = trim_after_final_stop(line, x_height=4.0)  # dots: up to 0.8
    assert len(trimmed.offsets) == 26 and trimmed.offsets[-1, 2] == 1
    assert trimmed.phi.shape == (26, 4)
    no_stop = strokes_line("ok", [(10, 3.0, 0), (10, 3.0, 1), (3, 0.2, 2), (8, 3, 2)])
    assert len(trim_after_final_stop(no_stop, 4.0).offsets) == 31  # not a full stop: kept


def test_a_doubled_comma_at_the_end_of_a_line_keeps_the_first() -> None:
    # 'a', a comma (dot and tail, 2.4 tall: a comma, too big for a dot), a second comma
    line = strokes_line("a,", [(10, 3.0, 0), (6, 2.4, 1), (6, 2.4, 2)])
    assert len(trim_after_final_stop(line, x_height=4.0).offsets) == 16
    # a stroke bigger than a comma on the comma is not taken for it
    big = strokes_line("a,", [(10, 3.0, 0), (6, 4.0, 1), (6, 2.4, 2)])
    assert len(trim_after_final_stop(big, x_height=4.0).offsets) == 22


def test_a_doubled_question_mark_keeps_the_first() -> None:
    # 'a', '?' hook then dot, then a second hook and dot
    line = strokes_line(
        "a?", [(10, 3.0, 0), (9, 4.0, 1), (3, 0.2, 1), (9, 4.0, 2), (3, 0.2, 2)]
    )
    assert len(trim_after_final_stop(line, 4.0).offsets) == 22
    dot_first = strokes_line("a?", [(10, 3.0, 0), (3, 0.2, 1), (9, 4.0, 1)])  # no body yet
    assert len(trim_after_final_stop(dot_first, 4.0).offsets) == 22


def test_sampling_runs_on_one_blas_thread_whatever_the_pool(monkeypatch) -> None:
    """More BLAS threads sum in another order: the strokes would change with the load."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from vpype_handwriting import numpy_engine

    def blas_threads() -> set[int]:
        return {
            pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"
        }

    seen: list[set[int]] = []
    step = numpy_engine.NumpyEngine.step

    def spy(self, bias, floor):
        seen.append(blas_threads())
        return step(self, bias, floor)

    monkeypatch.setattr(numpy_engine.NumpyEngine, "step", spy)
    net = as_numpy(tiny_model())
    runs = []
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            runs.append(sample_lines(net, ["ink"], SampleOptions(seed=1)))
    assert seen and all(threads == {1} for threads in seen)
    np.testing.assert_array_equal(runs[0][0].offsets, runs[1][0].offsets)


class ScriptedChecker:
    """Reads each text as scripted: the scores of its successive attempts."""

    def __init__(
        self, scores: dict[str, list], threshold: float = 2.0, min_margin: float = 0.0
    ) -> None:
        self.scores, self.threshold, self.calls = scores, threshold, []
        self.min_margin = min_margin

    def assess_batch(self, lines: list, texts: list[str]) -> list[Assessment]:
        self.calls += texts
        out = []
        for text in texts:  # a score, or (score, reading), or (score, reading, margin)
            got = self.scores[text].pop(0)
            score, reading, margin = (
                (*got, 9.0)[:3] if isinstance(got, tuple) else (got, text.upper(), 9.0)
            )
            out.append(Assessment(score, reading, margin, 0))
        return out

    def weak(self, judged: Assessment) -> bool:
        return judged.margin < self.min_margin

    def sends_back(self, judged: Assessment, text: str) -> bool:
        return judged.score > self.threshold or self.weak(judged)


def test_lines_the_checker_cannot_read_are_resampled_and_the_best_kept(
    backend, monkeypatch
) -> None:
    from vpype_handwriting import sampling

    monkeypatch.setattr(sampling, "check_line", lambda *a: None)
    checker = ScriptedChecker({"clear": [0.5], "later": [3.0, 1.0], "never": [4, 3.5, 5]})
    opts = SampleOptions(seed=0, retries=2, checker=checker, **THOROUGH)
    clear, later, never = sample_lines(
        backend(tiny_model()), ["clear", "later", "never"], opts
    )
    assert checker.calls.count("clear") == 1 and (clear.attempts, clear.illegible) == (1, 0)
    assert (later.attempts, later.illegible, later.legibility, later.broken) == (2, 1, 1.0, 0)
    # flagged every time: the attempt that read best is kept, and it is not a failure
    assert (never.attempts, never.illegible, never.legibility) == (3, 3, 3.5)
    assert never.failure is None and never.reading == "NEVER"


def test_of_attempts_all_sent_back_the_one_with_fewest_misread_letters_is_kept(
    backend, monkeypatch
) -> None:
    from vpype_handwriting import sampling

    monkeypatch.setattr(sampling, "check_line", lambda *a: None)
    # better scores with a letter dropped; every letter there but one digit read as "S"
    attempts = [(3.1, "numbe 8S90"), (3.9, "number 8S90"), (3.0, "nmbe 8S90")]
    checker = ScriptedChecker({"number 8890": attempts})
    opts = SampleOptions(seed=0, retries=2, checker=checker, **THOROUGH)
    (line,) = sample_lines(backend(tiny_model()), ["number 8890"], opts)
    assert (line.attempts, line.illegible, line.reading) == (3, 3, "number 8S90")
    assert line.misread == 1 and line.legibility == 3.9 and line.failure is None


def test_the_checker_does_not_judge_lines_that_already_failed(backend) -> None:
    model = window_bias(tiny_model(), kappa_step=-12.0)  # runs away every time
    checker = ScriptedChecker({})
    opts = SampleOptions(seed=0, retries=1, checker=checker, **THOROUGH)
    (line,) = sample_lines(backend(model), ["stuck"], opts)
    assert line.failure is not None and checker.calls == [] and line.legibility is None
    assert line.broken == line.attempts == 2


def test_an_attempt_the_checker_accepts_beats_a_better_scored_one_it_sent_back(
    backend, monkeypatch
) -> None:
    from vpype_handwriting import sampling

    class Misreads(ScriptedChecker):  # the first attempt scores well but reads wrong
        def sends_back(self, judged: Assessment, text: str) -> bool:
            return len(self.calls) == 1

    monkeypatch.setattr(sampling, "check_line", lambda *a: None)
    checker = Misreads({"nine": [0.1, 0.4]})
    opts = SampleOptions(seed=0, checker=checker, **THOROUGH)
    (line,) = sample_lines(backend(tiny_model()), ["nine"], opts)
    assert (line.attempts, line.illegible, line.legibility) == (2, 1, 0.4)
    assert not line.sent_back


def test_a_letter_read_too_unsurely_sends_a_line_back_and_ranks_it_below_the_others(
    backend, monkeypatch
) -> None:
    from vpype_handwriting import sampling

    monkeypatch.setattr(sampling, "check_line", lambda *a: None)
    # "nett": the first attempt scores best but its x reads about as well as a t
    # "xx": every attempt sent back; the one without a weak letter beats better scores
    checker = ScriptedChecker(
        {
            "nett": [(0.1, "nett", 0.05), (0.6, "nett", 3.0)],
            "xx": [(0.1, "xx", 0.0), (3.0, "xx", 2.0), (2.5, "xx", 0.1)],
        },
        min_margin=0.5,
    )
    opts = SampleOptions(seed=0, retries=2, checker=checker, **THOROUGH)
    nett, xx = sample_lines(backend(tiny_model()), ["nett", "xx"], opts)
    assert (nett.attempts, nett.illegible, nett.legibility, nett.margin) == (2, 1, 0.6, 3.0)
    assert not nett.weak and not nett.sent_back
    assert (xx.attempts, xx.illegible, xx.legibility, xx.weak) == (3, 3, 3.0, False)


def test_of_attempts_all_with_a_letter_read_too_unsurely_the_surest_one_is_kept(
    backend, monkeypatch
) -> None:
    from vpype_handwriting import sampling

    monkeypatch.setattr(sampling, "check_line", lambda *a: None)
    # every attempt has a letter under the margin: the best score has the weakest letter
    checker = ScriptedChecker(
        {"ab": [(0.1, "ab", 0.05), (3.0, "ab", 0.4), (2.0, "ab", 0.2)]}, min_margin=0.5
    )
    opts = SampleOptions(seed=0, retries=2, checker=checker, **THOROUGH)
    (line,) = sample_lines(backend(tiny_model()), ["ab"], opts)
    assert (line.attempts, line.illegible, line.legibility, line.margin) == (3, 3, 3.0, 0.4)
    assert line.weak and line.sent_back


def test_with_candidates_each_line_is_written_that_often_at_once_and_the_best_kept(
    backend, monkeypatch
) -> None:
    from vpype_handwriting import sampling

    monkeypatch.setattr(sampling, "check_line", lambda *a: None)
    # three candidates a line in one batch: "two" passes on its second, "bad" on none
    checker = ScriptedChecker({"two": [1.5, 0.7, 1.9], "bad": [3.0, 2.5, 4.0, 2.2, 5, 6]})
    opts = SampleOptions(
        seed=0, retries=1, checker=checker, candidates=3, rewrite_sent_back=True
    )
    two, bad = sample_lines(backend(tiny_model()), ["two", "bad"], opts)
    assert checker.calls[:6] == ["two"] * 3 + ["bad"] * 3  # one batch, each line thrice
    assert (two.attempts, two.illegible, two.legibility) == (1, 0, 0.7)
    # all six sent back: the best of both attempts' candidates is kept
    assert (bad.attempts, bad.illegible, bad.legibility) == (2, 2, 2.2)
    assert checker.calls[6:] == ["bad"] * 3


def test_candidates_need_a_checker_to_choose_between_them(backend, monkeypatch) -> None:
    from vpype_handwriting import sampling

    monkeypatch.setattr(sampling, "check_line", lambda *a: None)
    lines = sample_lines(backend(tiny_model()), ["ab"], SampleOptions(seed=0, candidates=4))
    assert len(lines) == 1 and lines[0].attempts == 1
    same = sample_lines(backend(tiny_model()), ["ab"], SampleOptions(seed=0))
    np.testing.assert_array_equal(lines[0].offsets, same[0].offsets)  # one draw, as without


def test_by_default_two_candidates_are_written_at_once_and_only_failures_again(
    backend, monkeypatch
) -> None:
    """The default: each line twice in one batch, the one the checker reads best kept; a
    line it sends back both times keeps the better and is not written again (only lines
    failing the sampler's own checks are)."""
    from vpype_handwriting import sampling

    monkeypatch.setattr(sampling, "check_line", lambda *a: None)
    checker = ScriptedChecker({"one": [2.5, 0.9], "both": [3.0, 2.6]})
    opts = SampleOptions(seed=0, checker=checker)
    one, both = sample_lines(backend(tiny_model()), ["one", "both"], opts)
    assert checker.calls == ["one", "one", "both", "both"]
    assert (one.attempts, one.legibility, one.sent_back) == (1, 0.9, False)
    assert (both.attempts, both.legibility, both.sent_back) == (1, 2.6, True)


def test_a_failed_line_is_written_again_by_default(backend) -> None:
    model = window_bias(tiny_model(), kappa_step=-12.0)  # runs away every time
    opts = SampleOptions(seed=0, retries=1, checker=ScriptedChecker({}))
    (line,) = sample_lines(backend(model), ["stuck"], opts)
    assert line.failure is not None and line.attempts == 2
