"""The ``oleg`` command line."""
