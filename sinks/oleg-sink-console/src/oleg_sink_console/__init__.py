"""oleg-sink-console: prints deliveries instead of sending them (trying a deployment out)."""

__version__ = "0.1.0"
