"""Registers the ``telegram-bot`` sink with oleg (entry point ``telegram-bot`` in group ``oleg``).

The sink (and TDLib behind it) is imported only when oleg asks for it, so listing plugins
stays cheap.
"""

from __future__ import annotations

from typing import Any

import oleg


@oleg.hookimpl
def oleg_register_sinks(register: Any) -> None:
    from oleg_sink_telegram_bot.sink import TelegramBotSink

    register(TelegramBotSink)
