"""Which recommenders to compare: ``name`` or ``name:key=value,key=value`` specs, built
through the plugin registry exactly as a deployment builds its recommender.

Settings are validated by the plugin's own settings model, so a typo in a benchmark
fails as it would in a deployment's TOML. A spec may also carry a factory (an in-process
recommender, e.g. a peer library wrapped for a benchmark): adding one is one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oleg.components import Recommender, build_component
from oleg.errors import ConfigError
from oleg.plugins import Plugins
from pydantic import ValidationError


@dataclass(frozen=True)
class RecommenderSpec:
    """A recommender to evaluate: a registered name with settings, or a factory.

    ``label`` names it in tables (defaults to the spec text); ``factory(seed)`` builds an
    in-process recommender instead of looking ``name`` up.
    """

    name: str
    settings: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    factory: Callable[[int], Recommender] | None = None

    def __post_init__(self) -> None:
        if not self.label:
            text = self.name + (":" + ",".join(f"{k}={v}" for k, v in self.settings.items()) if self.settings else "")
            object.__setattr__(self, "label", text)

    @classmethod
    def parse(cls, text: str) -> RecommenderSpec:
        """``"als:factors=64,iterations=15"`` -> name ``als`` with those settings.

        Values are read as JSON when they parse (numbers, true/false, null, lists in
        brackets, quoted strings), as plain strings otherwise.
        """
        name, _, rest = text.strip().partition(":")
        if not name:
            raise ConfigError(f"recommender spec {text!r} has no name; write NAME or NAME:key=value,...")
        settings: dict[str, Any] = {}
        for part in _split_top_level(rest):
            key, eq, value = part.partition("=")
            if not eq or not key.strip():
                raise ConfigError(f"recommender spec {text!r}: expected key=value, got {part!r}")
            settings[key.strip()] = _value(value.strip())
        return cls(name.strip(), settings, label=text.strip())

    def build(self, seed: int, plugins: Plugins | None = None) -> Recommender:
        """A fresh recommender with ``seed``, its settings validated by its plugin."""
        if self.factory is not None:
            return self.factory(seed)
        cls = (plugins or Plugins()).recommender(self.name)
        try:
            settings = cls.Settings.model_validate(self.settings)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(settings)'}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"recommender {self.label!r}: {problems}") from None
        return build_component(cls, settings, seed=seed)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets and quotes."""
    parts, depth, quote, current = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current))
    return [p for p in (p.strip() for p in parts) if p]
