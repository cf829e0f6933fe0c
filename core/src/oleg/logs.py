"""Logging set-up, and the filter that keeps secrets out of every log line.

On a terminal records are drawn by rich; anywhere else (a pipe, journald, a container's
log) each record is one line, as text or as JSON, so that a service's log can be read and
parsed line by line. Other libraries' chatter (Alembic, APScheduler, SQLAlchemy, asyncio,
uvicorn) is held at WARNING unless debug output is asked for (``-vv``).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from oleg.config import Deployment

THIRD_PARTY = ("alembic", "apscheduler", "sqlalchemy", "asyncio", "uvicorn", "httpx", "httpcore")
"""Loggers kept at WARNING unless the level is DEBUG."""

_HANDLER_NAME = "oleg"


class LogFormat(StrEnum):
    AUTO = "auto"
    """rich on a terminal, text elsewhere."""
    RICH = "rich"
    TEXT = "text"
    """One line per record: ``2024-05-01T12:00:00.123Z INFO oleg.engine: ...``."""
    JSON = "json"
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message``, ``exc``."""


class SecretFilter(logging.Filter):
    """Replaces every known secret value with ``***`` in records: the message, its
    arguments, and the exception's text and traceback (formatted here, before any handler's
    formatter would format it from ``exc_info`` unfiltered)."""

    def __init__(self, secrets: set[str]) -> None:
        super().__init__()
        self.secrets = {s for s in secrets if s and len(s) >= 4}

    def add(self, values: set[str]) -> None:
        self.secrets |= {s for s in values if s and len(s) >= 4}

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self._clean(record.getMessage())
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = _formatter.formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self._clean(record.exc_text)
            if record.stack_info:
                record.stack_info = self._clean(record.stack_info)
        return True


_formatter = logging.Formatter()
_filter = SecretFilter(set())


class _UTCFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        at = datetime.fromtimestamp(record.created, UTC)
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


class OneLineFormatter(_UTCFormatter):
    """``time LEVEL logger: message``; newlines inside (a traceback) are written ``\\n``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", "\\n")


class JsonFormatter(_UTCFormatter):
    """One JSON object per record."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (a test runner swaps it between commands)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def resolve_format(fmt: LogFormat | str) -> LogFormat:
    fmt = LogFormat(fmt)
    if fmt is LogFormat.AUTO:
        return LogFormat.RICH if sys.stderr.isatty() else LogFormat.TEXT
    return fmt


def make_handler(fmt: LogFormat | str) -> logging.Handler:
    fmt = resolve_format(fmt)
    if fmt is LogFormat.RICH:
        from rich.console import Console
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(
            console=Console(stderr=True), show_path=False, rich_tracebacks=False
        )
    else:
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter() if fmt is LogFormat.JSON else OneLineFormatter())
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(_filter)
    return handler


def setup_logging(level: int, fmt: LogFormat | str = LogFormat.AUTO) -> None:
    """Log to stderr at ``level`` in ``fmt``; replaces the handler of an earlier call."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(make_handler(fmt))
    root.setLevel(max(logging.DEBUG, level))
    quiet = logging.WARNING if level > logging.DEBUG else logging.NOTSET
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(quiet)


def redact_secrets(deployment: Deployment) -> SecretFilter:
    """Register the deployment's secret values (from the environment) with the log filter."""
    values: set[str] = set()
    for comp in deployment.components.values():
        for key in comp.secrets:
            value = comp.settings
            for part in key.split("."):
                value = getattr(value, part, None)
            if value is not None:
                raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
                values.add(raw)
    from sqlalchemy.engine import make_url

    try:
        password = make_url(deployment.deployment.database).password
    except Exception:
        password = None
    if password:
        values.add(str(password))
    _filter.add(values)
    for handler in logging.getLogger().handlers:
        if _filter not in handler.filters:
            handler.addFilter(_filter)
    return _filter
