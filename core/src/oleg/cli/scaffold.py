"""``oleg new-plugin``: write a ready plugin package whose own test runs oleg's contract.

The files come from templates shipped with the core (``oleg/cli/templates/<kind>/``,
``string.Template`` placeholders), so a plugin author outside this repository gets the
layout, the entry point, the dependency on oleg-core and the contract test right from the
start. Only recommenders have a contract (``oleg.testing.RecommenderContract``), so only
recommenders have a template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from string import Template

import click
from packaging.version import Version

from oleg import __version__
from oleg.errors import OlegError

KINDS = ("recommender",)
"""The component kinds with a template: those with a contract its test can run."""

NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
"""An entry-point name that is also a distribution and (hyphens as underscores) a package name."""

PLACEHOLDER_REPOSITORY = "https://github.com/OWNER/oleg"
"""Used when oleg-core's metadata names no ``Repository`` URL (``[project.urls]``)."""

FILES = {  # where each file of a new plugin goes -> its template
    "pyproject.toml": "pyproject.toml.tmpl",
    "README.md": "README.md.tmpl",
    ".gitignore": "gitignore.tmpl",
    "src/{package}/__init__.py": "__init__.py.tmpl",
    "src/{package}/plugin.py": "plugin.py.tmpl",  # the registration, alone in one file
    "src/{package}/model.py": "model.py.tmpl",
    "tests/test_contract.py": "test_contract.py.tmpl",
}


@dataclass(frozen=True)
class PluginNames:
    """Every name a new plugin needs, derived from its kind and entry-point name."""

    kind: str
    name: str

    @property
    def distribution(self) -> str:
        return f"oleg-{self.kind}-{self.name}"

    @property
    def package(self) -> str:
        return self.distribution.replace("-", "_")

    @property
    def cls(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("-"))


def check_name(kind: str, name: str) -> PluginNames:
    """The plugin's names, or an OlegError saying what a valid NAME looks like."""
    prefix = f"oleg-{kind}-"
    if name.startswith(prefix) and NAME.fullmatch(name[len(prefix) :]):
        raise OlegError(
            f"plugin name {name!r}: give only the part after {prefix!r} "
            f"(oleg new-plugin {kind} {name[len(prefix) :]}); the command adds the prefix."
        )
    if not NAME.fullmatch(name) or len(name) > 40:
        raise OlegError(
            f"plugin name {name!r} is not valid: use at most 40 lowercase letters, digits and "
            "single hyphens, starting with a letter (for example 'channel-rate'). It becomes "
            f'the entry point (plugin = "..." in a deployment file), the distribution '
            f"{prefix}NAME and the package oleg_{kind}_NAME."
        )
    return PluginNames(kind, name)


def core_repository() -> str:
    """oleg-core's repository URL as its metadata declares it, or a placeholder to edit."""
    try:
        urls = metadata.metadata("oleg-core").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("repository", "source"):
            return url.strip()
    return PLACEHOLDER_REPOSITORY


def git_requirement(repository: str) -> str:
    """oleg-core from its repository at the tag of this version, from its subdirectory."""
    return f"oleg-core @ git+{repository}@v{__version__}#subdirectory=core"


def render(names: PluginNames, core_requirement: str, repository: str) -> dict[str, str]:
    """The new plugin's files, relative path -> text."""
    version = Version(__version__)
    values = {
        "name": names.name,
        "distribution": names.distribution,
        "package": names.package,
        "cls": names.cls,
        "core_requirement": core_requirement,
        "repository": repository,
        "oleg_version": __version__,
        "next_minor": f"{version.major}.{version.minor + 1}",
    }
    templates = resources.files("oleg.cli") / "templates" / names.kind
    return {
        path.format(package=names.package): Template(
            (templates / template).read_text(encoding="utf-8")
        ).substitute(values)
        for path, template in FILES.items()
    }


def write_plugin(names: PluginNames, parent: Path, core_requirement: str | None = None) -> Path:
    """Write the plugin's folder under ``parent``; an existing folder is never overwritten."""
    target = parent / names.distribution
    if target.exists():
        raise OlegError(
            f"{target} already exists; choose another NAME or --dir (nothing was written)."
        )
    repository = core_repository()
    files = render(names, core_requirement or git_requirement(repository), repository)
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


@click.command("new-plugin")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("name")
@click.option(
    "--dir",
    "parent",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The folder to create oleg-KIND-NAME/ in.",
)
@click.option(
    "--core-requirement",
    default=None,
    metavar="REQUIREMENT",
    help="How the plugin requires oleg-core [default: the git URL of this version's tag, "
    "'oleg-core @ git+REPOSITORY@vX.Y.Z#subdirectory=core'; or e.g. 'oleg-core>=0.1,<0.2' "
    "with wheels].",
)
def new_plugin(kind: str, name: str, parent: Path, core_requirement: str | None) -> None:
    """Write a new plugin package oleg-KIND-NAME/ whose own test runs oleg's contract."""
    names = check_name(kind, name)
    target = write_plugin(names, parent, core_requirement)
    click.echo(f"Wrote {target}/: plugin {names.name!r} ({names.distribution}). Next:")
    click.echo(f"  cd {target}\n  pip install -e '.[test]'\n  pytest")
    if core_requirement is None and core_repository() == PLACEHOLDER_REPOSITORY:
        click.echo(
            f"Edit the oleg-core requirement in pyproject.toml: {PLACEHOLDER_REPOSITORY} stands "
            "for oleg's repository (or pass --core-requirement)."
        )
