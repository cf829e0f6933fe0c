"""The checks ``scripts/check_wheels.py`` runs on each built wheel: they find a data file
left out, a requirement on a member without a range, an import whose distribution is not
required; and the core's real wheel holds its migrations and templates."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_inspection() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "wheel_inspection", ROOT / "scripts/wheel_inspection.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["wheel_inspection"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


wi = load_inspection()

PYPROJECT = """
[project]
name = "oleg-thing"
version = "0.3.1"
[tool.setuptools.packages.find]
where = ["src"]
"""


def make_member(folder: Path) -> None:
    (folder / "src/oleg_thing/data").mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "pyproject.toml").write_text(PYPROJECT)
    (folder / "src/oleg_thing/__init__.py").write_text("")
    (folder / "src/oleg_thing/data/posts.jsonl").write_text("{}\n")
    (folder / "tests/test_thing.py").write_text("")  # tests stay out of wheels: not expected


def make_wheel(path: Path, files: dict[str, str], requires: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        metadata = "Metadata-Version: 2.1\nName: oleg-thing\nVersion: 0.3.1\n"
        metadata += "".join(f"Requires-Dist: {r}\n" for r in requires)
        archive.writestr("oleg_thing-0.3.1.dist-info/METADATA", metadata)
    return path


def test_a_data_file_left_out_of_the_wheel_is_named(tmp_path: Path) -> None:
    make_member(tmp_path / "member")
    member = wi.Member.read(tmp_path / "member")
    assert wi.expected_files(member) == {"oleg_thing/__init__.py", "oleg_thing/data/posts.jsonl"}
    wheel = wi.Wheel.read(
        make_wheel(tmp_path / "t.whl", {"oleg_thing/__init__.py": ""}, ["oleg-core>=0.1,<0.2"])
    )
    (problem,) = wi.missing_files(member, wheel)
    assert problem.startswith(
        "t.whl lacks 1 file(s) of member's packages: oleg_thing/data/posts.jsonl"
    )
    complete = {"oleg_thing/__init__.py": "", "oleg_thing/data/posts.jsonl": "{}\n"}
    assert (
        wi.missing_files(member, wi.Wheel.read(make_wheel(tmp_path / "u.whl", complete, []))) == []
    )


@pytest.mark.parametrize(
    ("requires", "problem"),
    [
        ([], "t.whl does not require oleg-core"),
        (
            ["oleg-core"],
            "t.whl requires oleg-core without an upper bound; "
            "write e.g. oleg-core>=0.1.0,<0.2",
        ),
        (["oleg-core>=0.1"], "t.whl requires oleg-core>=0.1 without an upper bound"),
        (
            ["oleg-core>=0.2,<0.3"],
            "t.whl requires oleg-core<0.3,>=0.2, "
            "which excludes this oleg-core 0.1.0",
        ),
        (["oleg-core>=0.1.0,<0.2", "numpy"], None),
        (["oleg-core~=0.1.0", 'oleg-source-replay>=0.1,<0.2; extra == "test"'], None),
    ],
)
def test_requirements_on_members_need_a_range_holding_them(
    tmp_path: Path, requires: list[str], problem: str | None
) -> None:
    wheel = wi.Wheel.read(make_wheel(tmp_path / "t.whl", {"oleg_thing/__init__.py": ""}, requires))
    problems = wi.workspace_requirements(
        wheel, {"oleg-core": "0.1.0", "oleg-source-replay": "0.1.0"}
    )
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problems[0].startswith(problem)


SOURCE = """
from __future__ import annotations
import json, os.path
from typing import TYPE_CHECKING
import numpy as np
from pydantic import Field
from oleg_thing.data import x
from . import sibling
try:
    import ujson
except ImportError:
    ujson = None
if TYPE_CHECKING:
    import torch
def later():
    import mystery_module_nobody_installs
"""


def test_imports_must_be_required_optional_and_typing_only_ones_aside(tmp_path: Path) -> None:
    wheel = wi.Wheel.read(
        make_wheel(
            tmp_path / "t.whl",
            {"oleg_thing/__init__.py": SOURCE},
            ["numpy>=1.26", "pytest; extra == 'test'"],
        )
    )
    assert wi.imported_modules(wheel.sources.values()) == {
        "numpy",
        "pydantic",
        "oleg_thing",
        "mystery_module_nobody_installs",
    }
    providers = {"numpy": ["numpy"], "pydantic": ["pydantic"], "pytest": ["pytest"]}
    assert wi.undeclared_imports(wheel, providers) == [
        "t.whl imports mystery_module_nobody_installs, which no installed distribution provides",
        "t.whl imports pydantic but does not require pydantic",
    ]


def test_members_come_from_the_root_pyproject() -> None:
    members = wi.workspace_members(ROOT)
    assert members[0].name == "oleg-core"
    assert {m.name for m in members} >= {"oleg-example-fresh", "oleg-source-replay"}
    fresh = next(m for m in members if m.name == "oleg-example-fresh")
    assert fresh.modules == ("oleg_example_fresh",) and fresh.package_roots == ()


@pytest.mark.slow
def test_the_core_wheel_holds_its_migrations_and_templates_and_passes_the_checks(
    tmp_path: Path,
) -> None:
    source = tmp_path / "core"
    shutil.copytree(
        ROOT / "core", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            tmp_path / "dist",
            source,
        ],
        check=True,
        capture_output=True,
    )
    (path,) = (tmp_path / "dist").glob("oleg_core-*.whl")
    wheel = wi.Wheel.read(path)
    assert "oleg/store/migrations/script.py.mako" in wheel.files
    assert "oleg/store/migrations/versions/0001_initial.py" in wheel.files
    assert "oleg/cli/templates/recommender/model.py.tmpl" in wheel.files
    member = wi.Member.read(ROOT / "core")
    from importlib import metadata

    assert wi.missing_files(member, wheel) == []
    assert wi.workspace_requirements(wheel, {"oleg-core": member.version}) == []
    assert wi.undeclared_imports(wheel, metadata.packages_distributions()) == []
