#!/usr/bin/env bash
# The main job: installs embmagic into .venv and executes the quick-start notebook headless,
# writing the executed copy to artifacts/01_quickstart.ipynb and an HTML export beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q -c constraints.txt -e ".[notebook]"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
mkdir -p artifacts
.venv/bin/jupyter nbconvert --to notebook --execute notebooks/01_quickstart.ipynb \
  --output-dir artifacts --ExecutePreprocessor.timeout=600
.venv/bin/jupyter nbconvert --to html artifacts/01_quickstart.ipynb --output-dir artifacts
echo "executed notebook: artifacts/01_quickstart.ipynb (HTML: artifacts/01_quickstart.html)"
