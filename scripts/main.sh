#!/usr/bin/env bash
# The main job: build etagcore in ./.venv and tag sample bodies and a file with every strategy.
source "$(dirname "$0")/_venv.sh" all
.venv/bin/etagcore demo
