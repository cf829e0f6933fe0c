# The two commands of the README. Each sets everything up first (idempotent).
.PHONY: demo test setup

demo:
	scripts/setup.sh
	.venv/bin/oleg demo

test:
	scripts/setup.sh --test
	scripts/install-postgres.sh
	scripts/install-chromium.sh
	.venv/bin/python -m pytest

setup:
	scripts/setup.sh --test
