"""Which policies a demo runs: the headline one and those beside it.

Names come from the command line or the config's ``[demo]`` lists; the defaults keep only
the policies whose recommender is installed, a name asked for explicitly must be installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oleg.errors import PluginError
from oleg.plugins import Plugins

from oleg_demo.config import DemoConfig, Policy


@dataclass(frozen=True)
class Selection:
    headline: Policy
    compared: tuple[Policy, ...] = ()

    @property
    def policies(self) -> list[Policy]:
        return [self.headline, *self.compared]


def select_policies(
    config: DemoConfig,
    plugins: Plugins,
    *,
    recommender: str | None = None,
    compare: bool | Sequence[str] = True,
) -> Selection:
    """``recommender``: the headline policy (default: the first installed of ``[demo]
    recommender``); ``compare``: the policies beside it, True for ``[demo] compare``'s
    installed ones, False for none. Unknown or missing recommenders fail here, at once."""
    installed = Plugins.available()

    def is_installed(name: str) -> bool:
        return all(plugin in installed for plugin in config.policy(name).plugins)

    if recommender is None:
        recommender = next((n for n in config.demo.recommender if is_installed(n)), None)
        if recommender is None:
            raise PluginError(
                f"{config.path}: none of [demo] recommender "
                f"({', '.join(config.demo.recommender)}) is installed.",
                hint="Install one, or name an installed recommender with --recommender NAME "
                "(oleg plugins lists them).",
            )
    if compare is True:
        names = [n for n in config.demo.compare if is_installed(n)]
    else:
        names = list(compare or ())
    headline = config.policy(recommender)
    compared = tuple(config.policy(n) for n in dict.fromkeys(names) if n != headline.name)
    selection = Selection(headline, compared)
    for policy in selection.policies:
        for plugin in policy.plugins:
            plugins.component("recommender", plugin)
    return selection
