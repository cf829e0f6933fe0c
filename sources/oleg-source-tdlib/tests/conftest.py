"""Fixtures: a fake Telegram world, a real store, and sources wired to both."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _tdlib_testing import make_source, store, tg  # noqa: F401
