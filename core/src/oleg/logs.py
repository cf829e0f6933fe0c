"""Logging set-up, and the filter that keeps secrets out of every log line."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rich.logging import RichHandler

if TYPE_CHECKING:
    from oleg.config import Deployment


class SecretFilter(logging.Filter):
    """Replaces every known secret value with ``***`` in records, formatted or not."""

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
            if record.exc_text:
                record.exc_text = self._clean(record.exc_text)
        return True


_filter = SecretFilter(set())


def setup_logging(level: int) -> None:
    root = logging.getLogger()
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        handler = RichHandler(show_path=False, rich_tracebacks=False)
        handler.addFilter(_filter)
        root.addHandler(handler)
    root.setLevel(max(logging.DEBUG, level))


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
