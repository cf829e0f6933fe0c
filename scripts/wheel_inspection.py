"""What a built wheel must hold, checked against its workspace member's sources.

Used by ``scripts/check_wheels.py``; kept apart (and importable by tests) because these are
pure checks on files: no building, no environment. Each check returns problems as
sentences naming the wheel and what is wrong, so that a CI log says what to fix.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path, PurePosixPath

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

SKIPPED_PARTS = {"__pycache__", "build", "dist", ".pytest_cache", "tests"}
"""Folders whose files never belong in a wheel (tests stay in the source tree)."""


@dataclass(frozen=True)
class Member:
    """One workspace member: its folder and what its pyproject.toml says."""

    path: Path
    name: str
    version: str
    build_requires: tuple[str, ...]
    package_roots: tuple[Path, ...]
    """Folders whose packages the wheel holds (``packages.find.where``)."""
    modules: tuple[str, ...]
    """Single-file modules (``py-modules``)."""

    @classmethod
    def read(cls, path: Path) -> Member:
        data = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
        setuptools = data.get("tool", {}).get("setuptools", {})
        find = (
            setuptools.get("packages", {}).get("find", {})
            if isinstance(setuptools.get("packages"), dict)
            else {}
        )
        modules = tuple(setuptools.get("py-modules", ()))
        where = () if modules and not find else tuple(find.get("where", ["."]))
        return cls(
            path=path,
            name=data["project"]["name"],
            version=data["project"]["version"],
            build_requires=tuple(data.get("build-system", {}).get("requires", ())),
            package_roots=tuple(path / w for w in where),
            modules=modules,
        )

    @property
    def wheel_prefix(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}-"


def workspace_members(root: Path) -> list[Member]:
    """The members listed in the root pyproject.toml, ``[tool.oleg.workspace] members``."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return [Member.read(root / m) for m in data["tool"]["oleg"]["workspace"]["members"]]


def source_files(folder: Path) -> list[Path]:
    """Files under ``folder`` that git tracks (or, outside git, all of them), minus caches."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "."],
            cwd=folder,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        files = [folder / line for line in listed]
    except (OSError, subprocess.CalledProcessError):
        files = [p for p in folder.rglob("*") if p.is_file()]
    return [
        f
        for f in files
        if f.is_file()
        and not SKIPPED_PARTS & set(f.relative_to(folder).parts)
        and not any(part.endswith(".egg-info") for part in f.parts)
    ]


def expected_files(member: Member) -> set[str]:
    """Paths (inside the wheel) of every module and data file of the member's packages."""
    expected = {f"{m}.py" for m in member.modules}
    for root in member.package_roots:
        for top in sorted(p for p in root.iterdir() if (p / "__init__.py").is_file()):
            if top.name in SKIPPED_PARTS:
                continue
            expected |= {str(PurePosixPath(f.relative_to(root))) for f in source_files(top)}
    return expected


@dataclass(frozen=True)
class Wheel:
    """A built wheel, read: its files, its metadata's requirements, its modules' sources."""

    path: Path
    files: frozenset[str]
    requires: tuple[Requirement, ...]
    sources: Mapping[str, str]

    @classmethod
    def read(cls, path: Path) -> Wheel:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
            metadata = Parser().parsestr(archive.read(metadata_name).decode("utf-8"))
            sources = {n: archive.read(n).decode("utf-8") for n in names if n.endswith(".py")}
        return cls(
            path=path,
            files=frozenset(n for n in names if ".dist-info/" not in n),
            requires=tuple(Requirement(r) for r in metadata.get_all("Requires-Dist") or ()),
            sources=sources,
        )

    @property
    def top_level(self) -> set[str]:
        return {n.split("/")[0].removesuffix(".py") for n in self.files}


def missing_files(member: Member, wheel: Wheel) -> list[str]:
    """Modules or package data (migrations, templates, bundled data) left out of the wheel."""
    missing = sorted(expected_files(member) - wheel.files)
    if not missing:
        return []
    return [
        f"{wheel.path.name} lacks {len(missing)} file(s) of {member.path.name}'s packages: "
        f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''} "
        "(declare data files in [tool.setuptools.package-data])"
    ]


def workspace_requirements(wheel: Wheel, versions: Mapping[str, str]) -> list[str]:
    """A requirement on another member must name a version range holding that member's version.

    ``versions`` maps canonical member names to their versions. Any plugin must require
    oleg-core: without it pip installs the plugin into an environment with no oleg.
    """
    problems = []
    names = {canonicalize_name(r.name) for r in wheel.requires}
    if "oleg-core" in versions and "oleg-core" not in names and not wheel.top_level & {"oleg"}:
        problems.append(f"{wheel.path.name} does not require oleg-core")
    for req in wheel.requires:
        name = canonicalize_name(req.name)
        if name not in versions:
            continue
        spec = req.specifier
        if not any(s.operator in ("<", "<=", "==", "~=") for s in spec):
            problems.append(
                f"{wheel.path.name} requires {req} without an upper bound; "
                f"write e.g. {req.name}>={versions[name]},<{next_minor(versions[name])}"
            )
        elif not spec.contains(Version(versions[name]), prereleases=True):
            problems.append(
                f"{wheel.path.name} requires {req}, which excludes this {req.name} {versions[name]}"
            )
    return problems


def next_minor(version: str) -> str:
    v = Version(version)
    return f"{v.major}.{v.minor + 1}"


class _Imports(ast.NodeVisitor):
    """Top-level names of the modules a source imports, minus optional and typing-only ones."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Import(self, node: ast.Import) -> None:
        self.names |= {a.name.split(".")[0] for a in node.names}

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.names.add(node.module.split(".")[0])

    def visit_Try(self, node: ast.Try) -> None:
        optional = any(_catches_import_error(h.type) for h in node.handlers)
        for child in node.body if not optional else ():
            self.visit(child)
        for child in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(child)

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        typing_only = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        )
        for child in node.body if not typing_only else ():
            self.visit(child)
        for child in node.orelse:
            self.visit(child)


def _catches_import_error(handler: ast.expr | None) -> bool:
    names = handler.elts if isinstance(handler, ast.Tuple) else [handler]
    return any(
        isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names
    )


def imported_modules(sources: Iterable[str]) -> set[str]:
    """Third-party top-level modules the sources import (stdlib left out)."""
    visitor = _Imports()
    for source in sources:
        visitor.visit(ast.parse(source))
    return {n for n in visitor.names if n not in sys.stdlib_module_names and n != "__future__"}


def undeclared_imports(wheel: Wheel, providers: Mapping[str, list[str]]) -> list[str]:
    """Modules the wheel's code imports whose distribution its metadata does not require.

    ``providers`` maps a top-level module to the distributions installing it
    (``importlib.metadata.packages_distributions()`` of an environment that has them all).
    A requirement in an extra counts: the core's test helpers import pytest from ``[test]``.
    """
    declared = {canonicalize_name(r.name) for r in wheel.requires}
    problems = []
    for module in sorted(imported_modules(wheel.sources.values()) - wheel.top_level):
        dists = {canonicalize_name(d) for d in providers.get(module, ())}
        if not dists:
            problems.append(
                f"{wheel.path.name} imports {module}, which no installed distribution provides"
            )
        elif not dists & declared:
            problems.append(
                f"{wheel.path.name} imports {module} but does not require "
                f"{' or '.join(sorted(dists))}"
            )
    return problems
