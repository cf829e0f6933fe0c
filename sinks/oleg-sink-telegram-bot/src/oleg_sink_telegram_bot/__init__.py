"""oleg-sink-telegram-bot: the Telegram bot that mails each subscriber their feed."""

__version__ = "0.1.0"
