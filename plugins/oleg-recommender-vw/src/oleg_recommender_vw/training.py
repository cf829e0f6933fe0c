"""A full fit's text examples learned by VW's own driver, at the command line's speed.

VW's driver holds the GIL while it learns, so building the examples and learning them can
overlap only across processes. A large fit therefore streams its chunks of lines into VW's
command line (``python -m vowpalwabbit -d /dev/stdin -f model``) in a child process, which
learns each chunk while the next one is being built, and then loads the model file the
child wrote (``-i``; VW's model files keep the learning state, so updates go on as they
would in-process). A small fit, where starting a process would cost more than it saves,
writes the lines to a file and runs the driver in this process. Both learn the same lines
with the same flags, so both give the model the command line gives on an exported file.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

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
        try:
            for chunk in chunks:
                child.stdin.write(chunk)
            child.stdin.close()
        except BrokenPipeError:
            pass  # the child stopped early: its exit status and stderr say why
        except BaseException:
            child.kill()
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
