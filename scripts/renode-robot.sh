#!/usr/bin/env bash
# The Robot suites written with Renode's own keywords (renode/tests/*.robot), run by Renode's renode-test.
# Renode is found as m7amp finds it: $RENODE, else `renode` on PATH; without it (or with a Renode older
# than m7amp supports) this prints why and exits 0, so `make test` goes on.
#
# renode-test pins its own Python requirements (robotframework 6.1 in Renode 1.16.1), while the project's
# .venv has robotframework >= 7: they live in two virtualenvs. This script makes .venv-renode-test from the
# requirements.txt of the Renode it runs (once; again when that file changes) and points renode-test at it
# (RENODE_PYTHON). Results (log.html, report.html, robot_output.xml) go to results/renode-robot.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${RENODE_TEST_VENV:-.venv-renode-test}  # renode-test's virtualenv
PY=${PY:-.venv/bin/python}

if ! renode=$("$PY" -c '
import sys
from m7amp.errors import M7Error
from m7amp.targets.renode import check_renode
try:
    print(check_renode())
except M7Error as exc:
    sys.exit(str(exc))' 2>&1); then
    echo "renode-robot: skipped: $renode"
    exit 0
fi
root=$(cd "$(dirname "$(readlink -f "$renode")")" && pwd)
runner=${RENODE_TEST:-$root/renode-test}
requirements=$root/tests/requirements.txt
if [[ ! -x $runner || ! -f $requirements ]]; then
    echo "renode-robot: skipped: no renode-test runner beside $renode (set RENODE_TEST=PATH)"
    exit 0
fi

stamp=$VENV/.requirements.txt
if [[ ! -x $VENV/bin/python ]] || ! cmp -s "$requirements" "$stamp"; then
    echo "renode-robot: installing renode-test's requirements ($requirements) into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
fi

selftest=$("$PY" -m m7amp build selftest | awk '/selftest\.elf/ {print $1}')  # its absolute path
audio=$("$PY" -m m7amp build audio | awk '/audio\.elf/ {print $1}')
mkdir -p results/renode-robot
# the audio suite's input: 1.2 s of the built-in synthetic guitar as raw int16 at 48 kHz (SAI1's InputFile)
input=$PWD/results/renode-robot/guitar.raw
"$PY" -c '
import sys
import numpy as np
from m7amp.data import synth_guitar
x = synth_guitar(1.2, sample_rate=48000, seed=7)
np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2").tofile(sys.argv[1])' "$input"
# -P 0: any free port for Renode's Robot server (other runs may be using the default 9999)
RENODE_PYTHON=$(cd "$VENV" && pwd)/bin/python "$runner" -P 0 -r "$PWD/results/renode-robot" \
    --variable "SELFTEST:$selftest" --variable "AUDIO:$audio" --variable "AUDIO_INPUT:$input" renode/tests/*.robot
