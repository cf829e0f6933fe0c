"""Settings for every test of the repository (pytest finds this file at the root)."""

import os

from hypothesis import settings

# Property-based tests: the same examples on every CI run (a failure there is reproducible
# from the log, never a coin toss), random ones on a developer's machine.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
