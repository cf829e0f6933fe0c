"""pytest plugin (entry point ``pytest11``): fixtures for testing oleg plugins.

``oleg_plugins`` is a fresh :class:`oleg.plugins.Plugins`; register a plugin object for one
test with ``with oleg_plugins.registered(my_module): ...``.
"""

from __future__ import annotations

import pytest

from oleg.plugins import Plugins


@pytest.fixture
def oleg_plugins() -> Plugins:
    return Plugins()
