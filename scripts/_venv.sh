# Sourced by the scripts: create ./.venv if needed and install etagcore into it (with $1 extras).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
fi
# A regular (not editable) install: what users get, with the C extensions built by pip.
.venv/bin/python -m pip install --quiet --disable-pip-version-check ".[$1]"
