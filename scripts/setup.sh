#!/usr/bin/env bash
# Installs what m7amp needs on a Debian machine, and nothing when it is already there:
#   apt: the Cortex-M toolchain, cmake, gdb-multiarch, chromium (the report's browser test);
#   pip: this package into ./.venv.
# Quiet on a machine that is already set up. Set M7AMP_SETUP_VERBOSE=1 to see the installers' output.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib cmake make gcc
              gdb-multiarch qemu-system-arm libsndfile1 chromium chromium-driver)
VENV=.venv
STAMP=$VENV/.m7amp-installed

quiet() { if [[ "${M7AMP_SETUP_VERBOSE:-0}" == 1 ]]; then "$@"; else "$@" >/tmp/m7amp-setup.log 2>&1 || {
    cat /tmp/m7amp-setup.log >&2; echo "setup: '$*' failed (log above)" >&2; exit 1; }; fi; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""; [[ $(id -u) == 0 ]] || SUDO=sudo
    quiet $SUDO apt-get update -qq
    quiet env DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ! -x $VENV/bin/python ]]; then
    echo "setup: creating the virtualenv $VENV"
    quiet python3 -m venv "$VENV"
fi
if [[ ! -f $STAMP || pyproject.toml -nt $STAMP ]]; then
    echo "setup: installing m7amp and its Python dependencies into $VENV (first time: a few minutes)"
    quiet "$VENV/bin/pip" install --upgrade pip
    quiet "$VENV/bin/pip" install -e ".[dev]"
    touch "$STAMP"
fi
