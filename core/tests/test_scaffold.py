"""``oleg new-plugin``: what it writes, what it refuses, and that the package it writes
installs and passes (or, broken, fails naming the case) its own contract test."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from oleg.cli.main import cli


def new_plugin(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["new-plugin", *args])
    return result.exit_code, result.output


def test_writes_a_package_with_entry_point_test_extra_and_contract(tmp_path: Path) -> None:
    code, output = new_plugin("recommender", "channel-rate", "--dir", str(tmp_path))
    assert code == 0, output
    root = tmp_path / "oleg-recommender-channel-rate"
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == [
        ".gitignore",
        "README.md",
        "pyproject.toml",
        "src/oleg_recommender_channel_rate/__init__.py",
        "src/oleg_recommender_channel_rate/model.py",
        "src/oleg_recommender_channel_rate/plugin.py",
        "tests/test_contract.py",
    ]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert project["name"] == "oleg-recommender-channel-rate"
    assert project["entry-points"]["oleg"] == {
        "channel-rate": "oleg_recommender_channel_rate.plugin"
    }
    assert project["optional-dependencies"]["test"] == ["pytest>=8"]
    assert project["dependencies"][0].startswith("oleg-core @ git+")
    assert project["dependencies"][0].endswith("#subdirectory=core")
    assert "pip install oleg_core-0.1.0-py3-none-any.whl" in (root / "pyproject.toml").read_text()
    test = (root / "tests/test_contract.py").read_text()
    assert "class TestChannelRate(RecommenderContract):" in test and 'name = "channel-rate"' in test
    for path in root.rglob("*.py"):  # valid Python, no placeholder left
        compile(path.read_text(), str(path), "exec")
        assert "$" not in path.read_text(), path
    assert f"cd {root}" in output


def test_core_requirement_can_be_given(tmp_path: Path) -> None:
    code, _ = new_plugin(
        "recommender", "x1", "--dir", str(tmp_path), "--core-requirement", "oleg-core>=0.1,<0.2"
    )
    assert code == 0
    project = tomllib.loads((tmp_path / "oleg-recommender-x1/pyproject.toml").read_text())[
        "project"
    ]
    assert project["dependencies"][0] == "oleg-core>=0.1,<0.2"


@pytest.mark.parametrize(
    "name", ["Channel", "two words", "-x", "x-", "a--b", "9lives", "a_b", "x" * 41]
)
def test_an_invalid_name_is_refused_with_exit_2(tmp_path: Path, name: str) -> None:
    code, output = new_plugin("--dir", str(tmp_path), "--", "recommender", name)
    assert code == 2
    assert f"plugin name {name!r} is not valid" in output and "Traceback" not in output
    assert not any(tmp_path.iterdir())


def test_the_full_distribution_name_is_refused_saying_which_part_to_give(tmp_path: Path) -> None:
    code, output = new_plugin("recommender", "oleg-recommender-rate", "--dir", str(tmp_path))
    assert code == 2
    assert (
        "give only the part after 'oleg-recommender-' (oleg new-plugin recommender rate)" in output
    )


def test_an_existing_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "oleg-recommender-rate").mkdir()
    (tmp_path / "oleg-recommender-rate/keep.txt").write_text("mine")
    code, output = new_plugin("recommender", "rate", "--dir", str(tmp_path))
    assert code == 2 and "already exists" in output
    assert [p.name for p in (tmp_path / "oleg-recommender-rate").iterdir()] == ["keep.txt"]


def test_only_recommenders_have_a_template(tmp_path: Path) -> None:
    code, output = new_plugin("source", "rss", "--dir", str(tmp_path))
    assert code == 2 and "'source' is not 'recommender'" in output


# -- the generated package, installed and tested ----------------------------------------


def throwaway_venv(path: Path) -> Path:
    """A venv seeing this interpreter's packages; returns its python.

    ``--system-site-packages`` alone would see the *base* interpreter's packages when this
    one is itself a venv, so a ``.pth`` adds this environment's site folders (and runs
    their editable-install ``.pth`` files) too.
    """
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(path)],
        check=True,
    )
    python = path / "bin" / "python"
    own_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    lines = [f"import site; site.addsitedir({folder!r})" for folder in site.getsitepackages()]
    (Path(own_site) / "_parent_environment.pth").write_text("\n".join(lines) + "\n")
    return python


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return throwaway_venv(tmp_path_factory.mktemp("venv") / "v")


def generate_and_test(
    venv_python: Path, parent: Path, name: str, *, break_it: bool
) -> subprocess.CompletedProcess[str]:
    code, output = new_plugin("recommender", name, "--dir", str(parent))
    assert code == 0, output
    root = parent / f"oleg-recommender-{name}"
    if break_it:  # NaN for every other candidate
        model = root / f"src/oleg_recommender_{name}/model.py"
        source = model.read_text()
        working = "        return self.bias(candidates)\n"
        assert working in source
        broken = "        scores = self.bias(candidates)\n        scores[1::2] = float('nan')\n"
        model.write_text(source.replace(working, broken + "        return scores\n"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    pip = [str(venv_python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    pip += ["--no-deps", "--no-build-isolation", "-e", str(root)]
    subprocess.run(pip, check=True, env=env, capture_output=True)
    return subprocess.run(
        [str(venv_python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_the_generated_plugin_passes_its_own_contract_test(
    venv_python: Path, tmp_path: Path
) -> None:
    run = generate_and_test(venv_python, tmp_path, "smoothed", break_it=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "11 passed" in run.stdout


@pytest.mark.slow
def test_a_broken_generated_plugin_fails_naming_the_case(venv_python: Path, tmp_path: Path) -> None:
    run = generate_and_test(venv_python, tmp_path, "broken", break_it=True)
    assert run.returncode == 1, run.stdout + run.stderr
    nan = "[1, 3, 5, 7, 9, 11, 13, 15, 17, 19, ...] (150 in all)"
    assert f"score(1, candidates) before any fit returned NaN at positions {nan}" in run.stdout
    assert "FAILED tests/test_contract.py::TestBroken::test_scores_before_any_fit" in run.stdout
