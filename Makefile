# The two commands a newcomer runs (see README.md): `make demo` and `make test`.
# Both run scripts/setup.sh first, which installs what is missing and is silent otherwise.
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test setup lint firmware clean

demo: setup
	$(VENV)/bin/m7amp demo

test: setup
	$(PY) -m pytest -q
	$(VENV)/bin/ruff check m7amp tests tools

setup:
	@scripts/setup.sh

lint: setup
	$(VENV)/bin/ruff check m7amp tests tools

firmware: setup
	$(VENV)/bin/m7amp build

clean:
	rm -rf build results
