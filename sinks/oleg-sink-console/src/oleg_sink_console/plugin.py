"""Registers the ``console`` sink with oleg (entry point ``console`` in group ``oleg``)."""

from __future__ import annotations

from typing import Any

import oleg


@oleg.hookimpl
def oleg_register_sinks(register: Any) -> None:
    from oleg_sink_console.sink import ConsoleSink

    register(ConsoleSink)
