"""``oleg demo``: a simulated deployment on real Telegram posts, on the virtual clock.

The same subscribers (same seed) are served by the chosen recommender and, for
comparison, by ``random``, ``popular`` and the ``oracle`` (which knows the hidden tastes).
Each run is a complete deployment (replay source, simulated sink, the real engine and
store) assembled from plugins by name, exactly as a TOML file would.
"""

from oleg.demo.runner import DemoResult, demo_deployment, run_demo

__all__ = ["DemoResult", "demo_deployment", "run_demo"]
