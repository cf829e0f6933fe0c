"""``oleg tune``: a recommender's settings searched with Optuna on a validation split cut
from the training period (:mod:`.study`), over a space read from its pydantic settings
(:mod:`.space`), towards one of the harness's metrics (:mod:`.objective`), reported as a
TOML section, markdown, JSON and a history plot (:mod:`.report`)."""
