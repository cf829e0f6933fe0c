"""``oleg demo``: a simulated deployment on real Telegram posts, on the virtual clock.

The same subscribers (same seed) are served by the headline recommender and, for
comparison, by the policies beside it. Which policies run, with which settings, on which
shared deployment (replay source, simulated sink, virtual scheduler) is data: the bundled
``demo.toml``, or a copy of it passed back with ``--config``. Each run is a complete
deployment assembled from plugins by name, exactly as a deployment file would be.
"""

from oleg_demo.config import DemoConfig, PlotStyle, Policy
from oleg_demo.result import DemoResult, PolicyRun
from oleg_demo.runner import RunSize, run_demo, run_policy

__all__ = [
    "DemoConfig",
    "DemoResult",
    "PlotStyle",
    "Policy",
    "PolicyRun",
    "RunSize",
    "run_demo",
    "run_policy",
]
