"""oleg's TDLib gateway, shared by the ``tdlib`` source and the ``telegram-bot`` sink."""

from oleg_tdlib.errors import TdError, TdTimeout
from oleg_tdlib.transport import TdClient, TdSettings

__all__ = ["TdClient", "TdError", "TdSettings", "TdTimeout"]
