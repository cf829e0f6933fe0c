"""A full fit's text examples learned by VW's own driver, at the command line's speed.

VW's driver holds the GIL while it learns, so building the examples and learning them can
overlap only across processes. A large fit therefore streams its chunks of lines into VW's
command line (``python -m vowpalwabbit -d /dev/stdin -f model``) in a child process, which
learns each chunk while the next one is being built, and then loads the model file the
child wrote (``-i``; VW's model files keep the learning state, so updates go on as they
would in-process). A thread of its own writes the chunks into the pipe (a write waits for
VW without the GIL), so building never waits for a hand-over. A small fit, where starting
a process would cost more than it saves, writes the lines to a file and runs the driver in
this process. Both learn the same lines with the same flags, so both give the model the
command line gives on an exported file.
"""

from __future__ import annotations

import contextlib
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

STREAM_FROM = 200_000
"""Ratings from which a fit streams into a child process (below: a file, in-process)."""
STDIN = Path("/dev/stdin")


def can_stream() -> bool:
    """VW's command line reads a data file by name; a child's stdin has one on Linux/macOS."""
    return STDIN.exists()


def learn_in_process(
    workspace: Callable[[list[str]], Any],
    fit_flags: list[str],
    chunks: Iterable[bytes],
    folder: Path,
) -> Any:
    """Write the lines to a file and run VW's driver over it in this process."""
    data = folder / "train.vw"
    with data.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return workspace([*fit_flags, "-d", str(data), *cache_flags(fit_flags, folder)])


def learn_in_child(
    workspace: Callable[[list[str]], Any],
    fit_flags: list[str],
    serve_flags: list[str],
    chunks: Iterable[bytes],
    folder: Path,
) -> Any:
    """Stream the lines into VW's command line in a child process; load what it learned."""
    model = folder / "model.vw"
    errors = folder / "vw.stderr"
    command = [
        sys.executable,
        "-m",
        "vowpalwabbit",
        *fit_flags,
        *cache_flags(fit_flags, folder),
        "-d",
        str(STDIN),
        "-f",
        str(model),
        "--quiet",
    ]
    with errors.open("wb") as err:
        child = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err
        )
        assert child.stdin is not None
        widen_pipe(child.stdin)
        writer = PipeWriter(child.stdin)
        try:
            for chunk in chunks:
                if not writer.put(chunk):
                    break  # the child stopped early: its exit status and stderr say why
            writer.close()
        except BaseException:
            child.kill()
            writer.close()
            child.wait()
            raise
        status = child.wait()
    if status != 0 or not model.exists():
        tail = errors.read_text(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(
            f"VW's command line stopped with exit status {status} while learning a fit: "
            + (" / ".join(tail) or "no message")
        )
    return workspace([*serve_flags, "-i", str(model)])


def cache_flags(fit_flags: list[str], folder: Path) -> list[str]:
    """Several passes need VW's cache (made afresh, ``-k``)."""
    if "--passes" not in fit_flags:
        return []
    return ["-k", "--cache_file", str(folder / "train.cache")]


PIPE_BYTES = 1 << 20
"""The child's stdin buffer asked for (Linux's default ceiling; 64 KiB otherwise)."""
QUEUED_CHUNKS = 4


def widen_pipe(pipe: IO[bytes]) -> None:
    """A larger pipe buffer: fewer hand-overs between the builder and VW's parser."""
    import fcntl  # POSIX only, as streaming is

    setter = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setter is not None:
        with contextlib.suppress(OSError):  # a smaller buffer is only slower
            fcntl.fcntl(pipe.fileno(), setter, PIPE_BYTES)


class PipeWriter:
    """Writes chunks to a pipe from a thread of its own, so that building the next chunk
    (holding the GIL) goes on while a write waits for VW to read (without it)."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED_CHUNKS)
        self._broken = threading.Event()
        self._thread = threading.Thread(target=self._run, name="oleg-vw-pipe", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while (chunk := self._chunks.get()) is not None:
                if self._broken.is_set():
                    continue  # keep taking chunks, so that put() never blocks
                try:
                    self._pipe.write(chunk)
                except OSError:  # BrokenPipeError: the child has gone
                    self._broken.set()
        finally:
            with contextlib.suppress(OSError):
                self._pipe.close()

    def put(self, chunk: bytes) -> bool:
        """Queue a chunk; ``False`` once the pipe is broken (the child has gone)."""
        if self._broken.is_set():
            return False
        self._chunks.put(chunk)
        return True

    def close(self) -> None:
        self._chunks.put(None)
        self._thread.join()
