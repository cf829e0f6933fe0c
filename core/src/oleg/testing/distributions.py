"""Installing a throw-away plugin distribution for a test, without pip: a ``.dist-info``
folder and one module in a directory that the test puts on ``PYTHONPATH`` (or
``sys.path``), which is all ``importlib.metadata`` needs to find its entry points."""

from __future__ import annotations

from pathlib import Path


def write_distribution(
    site: Path,
    name: str,
    *,
    entry_points: dict[str, str],
    module: tuple[str, str] | None = None,
    requires: tuple[str, ...] = (),
    version: str = "0.1",
) -> Path:
    """Write distribution ``name`` into ``site`` and return ``site``.

    ``entry_points`` maps names in the group ``oleg`` to modules; ``module`` is
    ``(module_name, source)``; ``requires`` become ``Requires-Dist`` lines.
    """
    dist = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {req}" for req in requires]
    (dist / "METADATA").write_text("\n".join(metadata) + "\n")
    (dist / "entry_points.txt").write_text(
        "[oleg]\n" + "".join(f"{ep} = {target}\n" for ep, target in entry_points.items())
    )
    if module is not None:
        module_name, source = module
        (site / f"{module_name}.py").write_text(source)
    return site
