"""Registers the ``telegram-bot`` sink with oleg (entry point ``telegram-bot`` in group ``oleg``).

The sink (and TDLib behind it) is imported only when oleg asks for it, so listing plugins
stays cheap.
"""

from __future__ import annotations

import oleg


@oleg.hookimpl
def oleg_register_components(registry: oleg.ComponentRegistry) -> None:
    from oleg_tdlib.tables import SCHEMA

    from oleg_sink_telegram_bot.sink import TelegramBotSink

    registry.add_schema(SCHEMA)  # listener accounts, assignments, join queue, message refs
    registry.add_sink(TelegramBotSink)
