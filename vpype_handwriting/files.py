"""Files in and out: bounded UTF-8 reads, atomic writes and a lock per output folder."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

LOCK_NAME = ".vpype-handwriting.lock"


class FileError(ValueError):
    """A file cannot be read or written as asked; the message says why and what to do."""


def read_text(path: str | Path, limit: int, what: str = "") -> str:
    """A UTF-8 text of at most ``limit`` bytes from ``path`` (``-``: standard input)."""
    name = what or ("standard input" if str(path) == "-" else str(path))
    try:
        if str(path) == "-":
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:
                raise FileError("there is no standard input to read (--file -)")
            raw = stream.read(limit + 1)
        else:
            with open(path, "rb") as fh:
                raw = fh.read(limit + 1)
    except OSError as exc:
        raise FileError(f"cannot read {name}: {exc.strerror or exc}") from None
    except ValueError:  # reading a closed standard input
        raise FileError("there is no standard input to read (--file -)") from None
    if len(raw) > limit:
        raise FileError(f"{name} is longer than {limit:,} bytes: split it into several")
    try:
        return raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise FileError(
            f"{name} is not UTF-8 text (byte {exc.start + 1}): save it as UTF-8"
        ) from None


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a temporary file beside ``path`` (a name of its own, so two runs
    never share one), then rename it over ``path``: a crash or a full disk leaves the old
    file or none, never half of one, and the temporary file goes on failure. The file gets
    the usual permissions (a temporary file is created readable by its owner only)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name[:60]}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _try_lock(fh: IO[str]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def folder_lock(folder: Path, command: str, part: str = "") -> Iterator[None]:
    """Hold ``folder`` for one run of ``command`` (or one ``part`` of a run split into
    parts that write different files): a second such run into the same folder fails at
    once instead of racing on the same files. The lock is the operating system's (it goes
    with the process, even a killed one)."""
    if folder.exists() and not folder.is_dir():
        raise FileError(f"{folder} is a file, not a folder: write elsewhere")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (LOCK_NAME.replace(".lock", f"-{part}.lock") if part else LOCK_NAME)
        fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held until the end
    except OSError as exc:
        raise FileError(f"cannot write in {folder}: {exc.strerror or exc}") from None
    try:
        # a lock on a file that another run unlinked in between would hold nothing
        if not _try_lock(fh) or os.fstat(fh.fileno()).st_ino != _inode(path):
            raise FileError(
                f"another {command} run{' of part ' + part if part else ''} is writing into "
                f"{folder}: wait for it to finish or write elsewhere"
            )
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
    finally:
        fh.close()


def _inode(path: Path) -> int:
    try:
        return os.stat(path).st_ino
    except OSError:
        return -1
