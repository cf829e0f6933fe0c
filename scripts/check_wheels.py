"""Build every workspace member's wheel and use them as someone outside this repository would.

1. builds a wheel of each member of ``[tool.oleg.workspace] members`` (from a clean copy of
   its folder, so no stale ``build/`` leaks into it) and checks each wheel: every module and
   data file of its packages is inside, a requirement on another member names a version
   range holding it, and every module its code imports is required;
2. makes a brand-new virtual environment (no system site packages), installs the core and
   the example plugin from those files (dependencies from the package index), checks that a
   wheel-installed core migrates a store and lists plugins, and runs the example plugin's
   tests and a freshly scaffolded plugin's tests there, against the installed wheels;
3. checks that all the wheels install together: ``--all dry-run`` (the default) asks pip to
   resolve them; ``--all install`` (what CI runs) installs them, lists every plugin and runs
   a day of a simulated deployment on the replay source's bundled posts; ``--all skip``.

Usage: scripts/check_wheels.py [--dist DIR] [--all dry-run|install|skip]
Run it with the development environment's Python (it has setuptools and packaging):
``.venv/bin/python scripts/check_wheels.py``. Exit code 1 on any problem, 2 on bad usage.
``--dist DIR`` keeps the wheels there, e.g. to attach them to a release.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wheel_inspection import (
    Member,
    Wheel,
    missing_files,
    undeclared_imports,
    workspace_members,
    workspace_requirements,
)

ROOT = Path(__file__).resolve().parents[1]
TORCH = "torch==2.13.0"
"""The torch scripts/setup.sh installs: the embedding plugin's wheel resolves against it."""
TESTED = ("oleg-example-fresh",)
"""Members whose own tests run against the installed wheels, beside a scaffolded plugin."""
PIP = ["-m", "pip", "--disable-pip-version-check"]


class CheckFailed(Exception):
    """A problem with the wheels: the message says which and what."""


def run(command: Sequence[str | Path], *, cwd: Path | None = None, what: str) -> str:
    """Run a command; on failure raise CheckFailed with ``what`` and the command's output."""
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-40:])
        raise CheckFailed(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done.stdout


def step(title: str, action: Callable[[], str | None]) -> None:
    """Run one step and print one line: its title, seconds, and what it reports."""
    start = time.monotonic()
    note = action()
    print(
        f"ok  {title} ({time.monotonic() - start:.1f} s){': ' + note if note else ''}", flush=True
    )


# -- 1. build and inspect ------------------------------------------------------------------


def build_requirements_met(member: Member) -> bool:
    """Whether this interpreter has the member's build-system requires (then no isolation)."""
    for text in member.build_requires:
        req = Requirement(text)
        try:
            if not req.specifier.contains(metadata.version(req.name), prereleases=True):
                return False
        except metadata.PackageNotFoundError:
            return False
    return True


def build(members: list[Member], dist: Path, scratch: Path) -> dict[str, Path]:
    """One wheel per member (canonical name -> file), each built from a clean copy."""
    wheels = {}
    ignore = shutil.ignore_patterns(
        "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".venv"
    )
    for member in members:
        copy = scratch / "src" / member.path.name
        shutil.copytree(member.path, copy, ignore=ignore)
        # this interpreter's setuptools when it is recent enough: three times faster
        isolation = ["--no-build-isolation"] if build_requirements_met(member) else []
        run(
            [sys.executable, *PIP, "wheel", "-q", "--no-deps", *isolation, "-w", dist, copy],
            what=f"building the wheel of {member.path.relative_to(ROOT)}",
        )
        found = sorted(dist.glob(f"{member.wheel_prefix}*.whl"))
        if len(found) != 1:
            raise CheckFailed(
                f"building {member.path.relative_to(ROOT)} left {len(found)} wheels "
                f"named {member.wheel_prefix}*"
            )
        wheels[canonicalize_name(member.name)] = found[0]
    return wheels


def inspect(members: list[Member], wheels: dict[str, Path]) -> str:
    versions = {canonicalize_name(m.name): m.version for m in members}
    providers = metadata.packages_distributions()
    problems = []
    for member in members:
        wheel = Wheel.read(wheels[canonicalize_name(member.name)])
        problems += missing_files(member, wheel)
        problems += workspace_requirements(wheel, versions)
        problems += undeclared_imports(wheel, providers)
    if problems:
        raise CheckFailed("the wheels have problems:\n  " + "\n  ".join(problems))
    return "every module and data file inside, workspace requirements ranged, imports declared"


# -- 2. a clean environment ------------------------------------------------------------------


def make_venv(path: Path) -> Path:
    """A brand-new virtual environment (no system site packages); returns its Python."""
    run([sys.executable, "-m", "venv", path], what="creating a virtual environment")
    return path / "bin" / "python"


def install(python: Path, wheels: dict[str, Path], dist: Path) -> str:
    targets = [f"{wheels['oleg-core']}[test]", *(wheels[canonicalize_name(n)] for n in TESTED)]
    run(
        [python, *PIP, "install", "-q", "--find-links", dist, *targets],
        what="installing the wheels",
    )
    run([python, *PIP, "check"], what="pip check in the clean environment")
    return ", ".join(Path(str(t)).name for t in targets)


SMOKE = """
import sys, oleg, sqlalchemy as sa
from oleg.store import Store
assert oleg.__file__.startswith(sys.prefix), f"oleg imported from {oleg.__file__}, not the venv"
with Store.open("sqlite://") as store:
    tables = set(sa.inspect(store.engine).get_table_names())
    with store.engine.connect() as conn:
        revision = conn.execute(sa.text("select version_num from alembic_version")).scalar_one()
assert len(tables) > 1, tables
print(f"{len(tables)} tables, migrated to {revision}")
"""


def smoke(python: Path) -> str:
    store = run([python, "-c", SMOKE], what='Store.open("sqlite://") with the wheel-installed core')
    listed = json.loads(run([python.parent / "oleg", "plugins", "--json"], what="oleg plugins"))
    broken = [f"{p['module']}: {p['error']}" for p in listed if p["error"]]
    if broken:
        raise CheckFailed("oleg plugins reports broken plugins: " + "; ".join(broken))
    names = sorted(name for p in listed for name in p["names"])
    return f"store: {store.strip()}; oleg plugins: {', '.join(names)}"


def test_member(python: Path, name: str, scratch: Path) -> str:
    """Run a member's tests from a copy outside the repository: only the wheels can serve them."""
    member = next(
        m for m in workspace_members(ROOT) if canonicalize_name(m.name) == canonicalize_name(name)
    )
    tests = scratch / "tests" / member.path.name
    shutil.copytree(
        member.path / "tests", tests / "tests", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tests,
        what=f"{member.path.relative_to(ROOT)}'s tests against the wheels",
    )
    return out.strip().splitlines()[-1]


def test_scaffold(python: Path, dist: Path, scratch: Path) -> str:
    """``oleg new-plugin`` from the wheel; the package it writes installs (built, with its
    dependencies, oleg-core found among the wheels) and passes its own tests."""
    plugin = scratch / "oleg-recommender-wheelcheck"
    run(
        [
            python.parent / "oleg",
            "new-plugin",
            "recommender",
            "wheelcheck",
            "--dir",
            scratch,
            "--core-requirement",
            "oleg-core>=0.1.0,<0.2",
        ],
        what="oleg new-plugin recommender wheelcheck",
    )
    run(
        [python, *PIP, "install", "-q", "--find-links", dist, f"{plugin}[test]"],
        what="installing the scaffolded plugin",
    )
    out = run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=plugin,
        what="the scaffolded plugin's tests",
    )
    return out.strip().splitlines()[-1]


# -- 3. all of them together -------------------------------------------------------------------

DEPLOYMENT = """
[deployment]
name = "wheel-check"
database = "sqlite:///wheel-check.db"
seed = 1

[source]
plugin = "replay"
path = "builtin:telegram-news-ru"   # the posts bundled in the replay source's wheel
start = "2024-11-08T00:00:00Z"

[sink]
plugin = "simulated"
subscribers = 20

[recommender]
plugin = "popular"

[cold_start]
plugin = "top-bias"

[scheduler]
plugin = "virtual"
start = "2024-11-10T00:00:00Z"
run_for = "1d"
"""


def run_deployment(python: Path, scratch: Path) -> str:
    """``oleg check`` and ``oleg run`` a day of a simulated deployment, all from the wheels."""
    path = scratch / "wheel-check.toml"
    path.write_text(DEPLOYMENT, encoding="utf-8")
    oleg = python.parent / "oleg"
    run([oleg, "check", path], cwd=scratch, what=f"oleg check {path.name}")
    out = run([oleg, "run", path], cwd=scratch, what=f"oleg run {path.name}")
    stopped = [line for line in out.splitlines() if line.startswith("Stopped:")]
    if not stopped or "delivered 0" in stopped[0]:
        raise CheckFailed(f"oleg run {path.name} delivered nothing:\n{out}")
    return stopped[0]


def all_together(
    python: Path, wheels: dict[str, Path], dist: Path, scratch: Path, mode: str
) -> str:
    command = [python, *PIP, "install", "--find-links", dist, *wheels.values(), TORCH]
    if mode == "dry-run":
        out = run([*command, "--dry-run"], what="pip install --dry-run of every wheel")
        would = {
            canonicalize_name(item.rsplit("-", 1)[0])
            for line in out.splitlines()
            if line.startswith("Would install")
            for item in line.split()[2:]
        }
        installed = json.loads(run([python, *PIP, "list", "--format", "json"], what="pip list"))
        would |= {canonicalize_name(p["name"]) for p in installed}
        absent = sorted(set(wheels) - would)
        if absent:
            raise CheckFailed(
                f"pip install --dry-run of every wheel would not install {', '.join(absent)}"
            )
        return f"pip resolves all {len(wheels)} wheels with {TORCH}"
    run([*command, "-q"], what="installing every wheel")
    run([python, *PIP, "check"], what="pip check with every wheel")
    return f"{smoke(python)}; {run_deployment(python, scratch)}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dist", type=Path, help="keep the wheels in this folder (default: a temporary one)"
    )
    parser.add_argument(
        "--all",
        choices=("dry-run", "install", "skip"),
        default="dry-run",
        help="how to check that all wheels install together (default: dry-run)",
    )
    args = parser.parse_args(argv)
    start = time.monotonic()
    members = workspace_members(ROOT)
    with tempfile.TemporaryDirectory(prefix="oleg-wheels-") as tmp:
        scratch = Path(tmp)
        dist = (args.dist or scratch / "dist").resolve()
        dist.mkdir(parents=True, exist_ok=True)
        for member in members:  # a wheel of an earlier run would be found twice
            for stale in dist.glob(f"{member.wheel_prefix}*.whl"):
                stale.unlink()
        wheels: dict[str, Path] = {}
        try:
            step(
                f"built {len(members)} wheels into {dist}",
                lambda: wheels.update(build(members, dist, scratch)),
            )
            step("inspected the wheels", lambda: inspect(members, wheels))
            python = make_venv(scratch / "venv")
            step("installed into a clean environment", lambda: install(python, wheels, dist))
            step("the wheel-installed core works", lambda: smoke(python))
            for name in TESTED:
                step(
                    f"{name}'s tests against the wheels",
                    lambda n=name: test_member(python, n, scratch),
                )
            step(
                "a scaffolded plugin's tests against the wheels",
                lambda: test_scaffold(python, dist, scratch),
            )
            if args.all != "skip":
                step(
                    f"all wheels together ({args.all})",
                    lambda: all_together(python, wheels, dist, scratch, args.all),
                )
        except CheckFailed as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 1
    print(
        f"OK: the wheels of {len(members)} members build and work outside the repository "
        f"({time.monotonic() - start:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
