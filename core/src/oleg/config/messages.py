"""Turning pydantic's validation errors into messages a deployer can act on: the file, the
section and key, what was expected, a close name when a key is misspelt; secrets never shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from oleg.errors import did_you_mean
from oleg.urls import mask_url


def _shown(value: Any, dotted: str, secrets: Mapping[str, str]) -> str:
    """A rejected value as an error may show it: a secret never, a URL without its password."""
    if dotted in secrets:
        return f"*** (from ${secrets[dotted]})"
    if isinstance(value, str) and "://" in value:
        return repr(mask_url(value))
    return repr(value)


def format_errors(
    exc: ValidationError, model: type[BaseModel], section: str, where: str, secrets: Mapping[str, str]
) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        key = ".".join(loc) or "(section)"
        kind = err["type"]
        if kind == "missing":
            expected = _expected(model, loc)
            lines.append(f"missing key [{section}] {key}" + (f": expected {expected}" if expected else "") + ".")
        elif kind == "extra_forbidden":
            accepted = _field_names(model, loc[:-1])
            lines.append(
                f"unknown key [{section}] {key}."
                + did_you_mean_hint(loc[-1], accepted)
                + (f" Accepted keys: {', '.join(accepted)}." if accepted else "")
            )
        else:
            msg = err["msg"]
            msg = msg[0].lower() + msg[1:] if msg else msg
            msg = msg.removeprefix("value error, ")
            lines.append(f"[{section}] {key}: {msg}; got {_shown(err.get('input'), f'{section}.{key}', secrets)}.")
    return f"{where}: " + ("\n".join(lines) if len(lines) == 1 else "\n  " + "\n  ".join(lines))


def _sub_model(model: type[BaseModel], loc: list[str]) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return None
        current = fields[part].annotation
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _field_names(model: type[BaseModel], loc: list[str]) -> list[str]:
    sub = _sub_model(model, loc) if loc else model
    return sorted(sub.model_fields) if sub else []


def _expected(model: type[BaseModel], loc: list[str]) -> str:
    parent = _sub_model(model, loc[:-1]) if len(loc) > 1 else model
    if parent is None or loc[-1] not in parent.model_fields:
        return ""
    info = parent.model_fields[loc[-1]]
    ann = info.annotation
    name = getattr(ann, "__name__", None) or str(ann).replace("typing.", "")
    return f"{name}" + (f" ({info.description})" if info.description else "")


def did_you_mean_hint(name: str, choices: Any) -> str:
    suggestion = did_you_mean(name, choices)
    return f" {suggestion.strip()}" if suggestion else ""


def kind_of(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list"}.get(
        type(value), type(value).__name__
    )
