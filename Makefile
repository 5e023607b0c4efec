# The two commands a newcomer runs (see README.md): `make demo` and `make test`.
# Both run scripts/setup.sh first, which installs what is missing and is silent otherwise.
VENV := .venv
PY := $(VENV)/bin/python

ROBOT_TARGET ?= sim

.PHONY: demo test setup lint firmware robot renode-robot renode-suites clean

demo: setup
	$(VENV)/bin/m7amp demo

# pytest and the Robot suites all run (make -k style): the target fails if any failed. The Renode tests
# run when Renode >= 1.16.1 is found ($$RENODE, else `renode` on PATH) and skip with the reason otherwise.
test: setup
	@rc=0; $(PY) -m pytest -q || rc=1; $(MAKE) --no-print-directory robot || rc=1; \
	$(MAKE) --no-print-directory renode-robot || rc=1; $(MAKE) --no-print-directory renode-suites || rc=1; \
	$(VENV)/bin/ruff check m7amp tests tools robot || rc=1; exit $$rc

# Robot Framework suites (robot/): log.html, report.html and xunit.xml in results/robot
robot: setup
	$(PY) -m robot --outputdir results/robot --xunit xunit.xml --pythonpath . -v TARGET:$(ROBOT_TARGET) robot/

# The suites written with Renode's own keywords (renode/tests/), run by Renode's renode-test in its own
# virtualenv (.venv-renode-test: it pins robotframework 6.1); results in results/renode-robot
renode-robot: setup
	@scripts/renode-robot.sh

# The WAV suites on the renode target (the audio app through the SAI1/DMA2 models), in f32 and q15: pytest
# tests/suites and the Robot suite (results in results/robot-renode-<precision>); skipped with the reason
# when no Renode >= 1.16.1 is found
renode-suites: setup
	@reason=$$($(PY) -c 'from m7amp.targets.renode import RenodeTarget; print(RenodeTarget.unavailable_reason() or "")'); \
	if [ -n "$$reason" ]; then echo "renode-suites: skipped: $$reason"; exit 0; fi; \
	rc=0; for p in f32 q15; do \
	  $(PY) -m pytest -q tests/suites --target renode --precision $$p || rc=1; \
	  $(PY) -m robot --outputdir results/robot-renode-$$p --xunit xunit.xml --pythonpath . -v TARGET:renode \
	    -v PRECISION:$$p robot/ || rc=1; \
	done; exit $$rc

setup:
	@scripts/setup.sh

lint: setup
	$(VENV)/bin/ruff check m7amp tests tools robot

firmware: setup
	$(VENV)/bin/m7amp build

clean:
	rm -rf build results
