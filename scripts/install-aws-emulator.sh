#!/usr/bin/env bash
# Installs the local AWS emulator (LocalStack's core, run on the host without Docker) into
# .cache/aws-emulator/venv, from PyPI, with every package version pinned. Running it again is a
# no-op while the pinned versions are unchanged. Needs Python 3.10 or later with venv
# (Debian: python3 python3-venv); PYTHON names another interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."

python="${PYTHON:-python3}"
requirements=scripts/aws-emulator-requirements.txt
constraints=scripts/aws-emulator-constraints.txt
venv=.cache/aws-emulator/venv
stamp="$venv/.strata-installed"

if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "install-aws-emulator: $python is missing or older than Python 3.10 (set PYTHON to another interpreter)" >&2
  exit 1
fi

wanted="$(cat "$requirements" "$constraints" | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  echo "install-aws-emulator: already installed in $venv"
  exit 0
fi

rm -rf "$venv"
"$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input --quiet)
# The installer and build tools first, pinned too: a few LocalStack dependencies are sdists
# built with setuptools.
"${pip[@]}" install --constraint "$constraints" pip setuptools wheel
"${pip[@]}" install --no-build-isolation --requirement "$requirements" --constraint "$constraints"
"$venv/bin/python" -c 'import localstack.runtime.main'
echo "$wanted" >"$stamp"
echo "install-aws-emulator: installed $(grep -v '^#' "$requirements") in $venv"
