#!/usr/bin/env bash
# The whole test suite, against etagcore as installed into ./.venv. Extra arguments go to pytest.
source "$(dirname "$0")/_venv.sh" test
# `pytest` rather than `python -m pytest`: the source tree must not shadow the installed package.
exec .venv/bin/pytest "$@"
