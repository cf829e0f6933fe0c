"""Small data files with known structure for the evaluation tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

GENRES = ["Comedy", "Drama", "Action", "Horror"]


def write_ratings(path: Path, *, n_users: int = 60, n_items: int = 80, per_user: int = 20, seed: int = 0) -> Path:
    """A MovieLens-like CSV where a few items are both watched and liked by most users, so
    a popularity model must beat a random one. Users' ratings interleave in time, and the
    last sixth of the users join late (cold in a temporal split's test)."""
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, n_items + 1) ** 1.2
    rows = []
    for user in range(1, n_users + 1):
        late = user > n_users * 5 // 6
        items = rng.choice(n_items, size=per_user, replace=False, p=weight / weight.sum())
        for item in items:
            liked = rng.random() < (0.9 if item < 8 else 0.25)
            stars = rng.choice([4.0, 4.5, 5.0]) if liked else rng.choice([1.0, 2.0, 2.5, 3.0])
            t = 1_600_000_000 + int(rng.integers(950_000, 1_000_000) if late else rng.integers(0, 950_000))
            rows.append((t, f"{user},{item + 1},{stars},{t}"))
    rows.sort()
    path.write_text("\n".join(["userId,movieId,rating,timestamp", *(line for _, line in rows)]) + "\n")
    return path


def write_movies(path: Path, n_items: int = 80) -> Path:
    lines = ["movieId,title,genres"]
    for item in range(1, n_items + 1):
        genres = "|".join(GENRES[(item + j) % 4] for j in range(2))
        lines.append(f'{item},"Movie {item}, the sequel ({1990 + item % 30})",{genres}')
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def ratings_csv(tmp_path: Path) -> Path:
    return write_ratings(tmp_path / "ratings.csv")


@pytest.fixture
def movies_csv(tmp_path: Path) -> Path:
    return write_movies(tmp_path / "movies.csv")


def _oleg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oleg.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.fixture
def oleg() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs ``oleg ARGS`` in a subprocess, as a user does: ``oleg("evaluate", ..., cwd=dir)``."""
    return _oleg
