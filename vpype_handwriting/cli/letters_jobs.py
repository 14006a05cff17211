"""Writing the letters of a ``letters`` run: one process, or ``--jobs`` processes.

Each letter is sampled on its own from its own seed (``letters.letter_seed``), so which
process writes it, and in which order, does not change a byte of it. A worker loads the
model once and writes whole letters; what it returns is small (paths, an error).
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import vpype as vp

from ..layout import LayoutOptions
from ..letters import Page, Row


@dataclass
class Saver:
    """Writes one page: the user's ``--pipeline`` run on the page's document, then SVG
    (without the date, so the same seed gives the same bytes); atomically."""

    page_size: tuple[float, float]
    pipeline: str

    def __call__(self, polylines: list[np.ndarray], path: Path) -> None:
        from ..files import write_atomic

        doc = vp.Document(page_size=self.page_size)
        doc.add(vp.LineCollection([p[:, 0] + 1j * p[:, 1] for p in polylines]), 1)
        if self.pipeline:
            import vpype_cli

            doc = vpype_cli.execute(self.pipeline, document=doc)

        def write(tmp: Path) -> None:
            with open(tmp, "w", encoding="utf-8") as fh:
                vp.write_svg(fh, doc, set_date=False)

        write_atomic(path, write)


@dataclass
class Job:
    """What every worker needs to write letters (picklable)."""

    kw: dict[str, Any]  # the command's options
    page: Page
    opts: LayoutOptions
    saver: Saver


@dataclass
class Outcome:
    number: int
    paths: list[Path] | None = None  # the files written
    error: str | None = None  # why this letter failed (the run goes on)
    fatal: str | None = None  # why no letter can be written (a full disk): the run stops


def load_writer(kw: dict[str, Any]):
    """The model, sampling options and style of the run."""
    from ..sampling import THOROUGH, SampleOptions
    from ..writer import Handwriter

    writer = Handwriter.load(
        kw["weights"],
        kw["device"],
        check=kw["check"],
        style=kw["style"],
        sample=SampleOptions(bias=kw["bias"], **(THOROUGH if kw["thorough"] else {})),
    )
    writer.sample.progress = False  # the run's bar counts letters
    return writer


_worker: tuple[Any, Job] | None = None


def _start(job: Job) -> None:
    global _worker
    _worker = (load_writer(job.kw), job)


def _write(row: Row) -> Outcome:
    assert _worker is not None, "a worker writes after _start"
    return write_row(row, *_worker)


def write_row(row: Row, writer: Any, job: Job) -> Outcome:
    """Sample, place and write one letter."""
    from ..layout import layout_text
    from ..letters import LetterError, off_page, paginate, place_envelope, write_letter

    writer.sample.seed = row.seed
    page, opts = job.page, job.opts
    try:
        lines = layout_text(row.text, writer.sample_texts, writer.calibration(), opts)
        if page.envelope:
            pages = [place_envelope(lines, page)]
        else:
            pages = paginate(lines, page, opts.position[1])
        wrong = next(filter(None, (off_page(p, page) for p in pages)), None)
        if wrong:
            raise LetterError(wrong)
    except ValueError as exc:
        return Outcome(row.number, error=str(exc))
    try:
        return Outcome(
            row.number, paths=write_letter(pages, row.paths[0], job.saver, row.stale)
        )
    except OSError as exc:
        return Outcome(row.number, fatal=f"cannot write {row.paths[0]}: {exc.strerror or exc}")
    except Exception as exc:  # noqa: BLE001 - the user's --pipeline failing on this page
        return Outcome(row.number, error=f"--pipeline failed on this letter: {exc}")


def write_rows(rows: list[Row], job: Job, jobs: int, writer: Any = None) -> Iterator[Outcome]:
    """Each row's outcome as it is written: in order in this process (``jobs`` 1, with
    ``writer`` if it is loaded already), else in the order ``jobs`` processes finish."""
    if jobs <= 1 or len(rows) <= 1:
        writer = writer if writer is not None else load_writer(job.kw)
        for row in rows:
            yield write_row(row, writer, job)
        return
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(rows)),
        mp_context=multiprocessing.get_context(method),
        initializer=_start,
        initargs=(job,),
    ) as pool:
        pending: set[Future[Outcome]] = {pool.submit(_write, row) for row in rows}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()
