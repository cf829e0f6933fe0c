"""oleg-source-replay: replays a posts file (or the bundled Telegram news set) in date order.

The component lives in :mod:`oleg_source_replay.source`, the file reading in
:mod:`oleg_source_replay.reader`, the registration with oleg in :mod:`oleg_source_replay.plugin`.
"""

__version__ = "0.1.0"
