"""The ``[recommender]`` settings of ``vw-logistic`` and the VW command line they make."""

from __future__ import annotations

from enum import StrEnum

from oleg import PluginSettings
from pydantic import Field, field_validator


class Namespace(StrEnum):
    """The namespaces of an example, by the one letter VW's ``--interactions`` names them."""

    USER = "u"
    """The subscriber's id."""
    CHANNEL = "c"
    """The post's channel."""
    POST = "p"
    """The post's id."""
    CATEGORY = "k"
    """The post's category label (its :func:`oleg.types.category_code`), where known."""
    MEDIA = "m"
    """The post's media kind (text, photo, video...), where the store knows the post."""
    WORDS = "w"
    """The words of the post's text, where the store keeps one: fresh posts scored by content."""
    CONTEXT = "t"
    """Hour of day, day of week, and the post's age (log2 hours) at the time of the example."""
    PAST = "h"
    """The subscriber's past: smoothed like rates on this channel and this category so far."""


ALL_NAMESPACES = tuple(Namespace)
USER_DEPENDENT = frozenset({Namespace.USER, Namespace.PAST})
"""Namespaces whose features depend on who is scored (``t`` depends on when, the rest on
the post alone)."""


class VwSettings(PluginSettings):
    """Which features VW sees and how it learns: a logistic regression whose score is P(👍).

    👍 is label 1, 👎 label -1. Shown-but-unanswered deliveries (Lamoda's impressions without
    a click) are learned as -1 with their weight as VW's importance weight when the
    deployment's ``[engine.unanswered]`` hands them over (``after``, ``weight``), and left out
    otherwise.
    """

    namespaces: list[Namespace] = Field(
        default_factory=lambda: list(ALL_NAMESPACES),
        description="Namespaces to write (letters u c p k m w t h; see the plugin's README).",
    )
    interactions: list[str] = Field(
        default_factory=lambda: ["uc", "uk", "um"],
        description="Quadratic interactions, two namespace letters each (VW's --interactions).",
    )
    bits: int = Field(
        default=18, ge=10, le=30, description="Hash table size: 2**bits weights (-b)."
    )
    l1: float = Field(default=0.0, ge=0, description="L1 regularization (--l1).")
    l2: float = Field(default=0.0, ge=0, description="L2 regularization (--l2).")
    learning_rate: float = Field(default=0.5, gt=0, description="VW's learning rate (-l).")
    passes: int = Field(default=3, ge=1, description="Passes over the data in a full fit.")
    max_words: int = Field(
        default=64, ge=0, description="Distinct words kept from the start of a post's text."
    )
    prior_weight: float = Field(
        default=2.0,
        gt=0,
        description="Pseudo-ratings at 50% behind each like rate of the subscriber's past.",
    )

    @field_validator("namespaces")
    @classmethod
    def _distinct(cls, value: list[Namespace]) -> list[Namespace]:
        if len(set(value)) != len(value):
            raise ValueError(f"namespaces {[n.value for n in value]} name one twice")
        return value

    @field_validator("interactions")
    @classmethod
    def _pairs(cls, value: list[str]) -> list[str]:
        letters = {n.value for n in Namespace}
        seen: set[frozenset[str]] = set()
        for pair in value:
            if len(pair) != 2 or not set(pair) <= letters:
                known = "".join(sorted(letters))
                raise ValueError(f"interaction {pair!r} must be two namespace letters of {known}")
            if pair[0] == pair[1]:
                raise ValueError(
                    f"interaction {pair!r} crosses a namespace with itself; use two different ones"
                )
            if frozenset(pair) in seen:
                raise ValueError(
                    f"interaction {pair!r} is given twice (VW counts {pair[::-1]!r} as the same)"
                )
            seen.add(frozenset(pair))
        return value

    def active_interactions(self) -> list[str]:
        """The interactions whose namespaces are both written (VW finds the others empty)."""
        chosen = {n.value for n in self.namespaces}
        return [pair for pair in self.interactions if set(pair) <= chosen]

    def vw_flags(self, *, passes: int | None = None) -> list[str]:
        """The command line of VW (``vw`` or ``python -m vowpalwabbit``) for these settings."""
        flags = [
            "--loss_function",
            "logistic",
            "--link",
            "logistic",
            "-b",
            str(self.bits),
            "-l",
            repr(self.learning_rate),
            "--l1",
            repr(self.l1),
            "--l2",
            repr(self.l2),
            "--holdout_off",
        ]
        for pair in self.active_interactions():
            flags += ["--interactions", pair]
        n = self.passes if passes is None else passes
        if n > 1:
            flags += ["--passes", str(n)]
        return flags
