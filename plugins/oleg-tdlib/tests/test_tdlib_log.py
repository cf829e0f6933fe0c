"""TDLib's own log goes to a file at the configured verbosity, never to the terminal (where
its coloured C++ lines used to mix with oleg's log)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest.importorskip("telegram.tdjson")

SCRIPT = """
import sys
from pathlib import Path
from oleg_tdlib.backend import open_tdjson
td = open_tdjson(int(sys.argv[2]), Path(sys.argv[1]))
td.send({"@type": "getOption", "name": "version"})
print(td.receive()["@type"])
td.stop()
"""


def test_tdlib_writes_its_log_to_the_file_and_nothing_to_the_terminal(tmp_path):
    log = tmp_path / "td" / "tdlib.log"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(log), "3"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "updateOption"
    assert done.stderr == ""
    assert "getOption" in log.read_text()


def test_verbosity_zero_writes_nothing_but_fatal_errors(tmp_path):
    log = tmp_path / "tdlib.log"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(log), "0"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stderr == ""
    assert "getOption" not in (log.read_text() if log.exists() else "")
