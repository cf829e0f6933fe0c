"""oleg-sink-simulated: synthetic subscribers with hidden tastes, and the oracle that knows them.

- :mod:`oleg_sink_simulated.hashing`: counter-based random numbers (pure functions of keys);
- :mod:`oleg_sink_simulated.world`: the hidden tastes and P(like), pure numpy;
- :mod:`oleg_sink_simulated.sink`: the ``simulated`` sink (joins, deliveries, reactions);
- :mod:`oleg_sink_simulated.oracle`: the ``oracle`` recommender (true P(like));
- :mod:`oleg_sink_simulated.plugin`: registration with oleg.
"""

__version__ = "0.1.0"
