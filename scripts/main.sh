#!/usr/bin/env bash
# The main job: build etagcore in ./.venv, then run the quick benchmark comparison
# (every content strategy against Tornado, Werkzeug, Python update loops and join-then-hash).
# Prints the tables; writes bench-results/bench.json and bench-results/bench.png.
source "$(dirname "$0")/_venv.sh" all
.venv/bin/etagcore bench "$@"
