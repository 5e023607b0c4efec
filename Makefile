# The two commands a newcomer runs (see README.md): `make demo` and `make test`.
# Both run scripts/setup.sh first, which installs what is missing and is silent otherwise.
VENV := .venv
PY := $(VENV)/bin/python

ROBOT_TARGET ?= sim

.PHONY: demo test setup lint firmware robot clean

demo: setup
	$(VENV)/bin/m7amp demo

# pytest and the Robot suites both run (make -k style): the target fails if either failed
test: setup
	@rc=0; $(PY) -m pytest -q || rc=1; $(MAKE) --no-print-directory robot || rc=1; \
	$(VENV)/bin/ruff check m7amp tests tools robot || rc=1; exit $$rc

# Robot Framework suites (robot/): log.html, report.html and xunit.xml in results/robot
robot: setup
	$(PY) -m robot --outputdir results/robot --xunit xunit.xml --pythonpath . -v TARGET:$(ROBOT_TARGET) robot/

setup:
	@scripts/setup.sh

lint: setup
	$(VENV)/bin/ruff check m7amp tests tools robot

firmware: setup
	$(VENV)/bin/m7amp build

clean:
	rm -rf build results
