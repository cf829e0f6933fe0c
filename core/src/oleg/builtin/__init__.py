"""Components that ship with the core; they register through entry points like any plugin."""
