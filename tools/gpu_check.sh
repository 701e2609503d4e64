#!/usr/bin/env bash
# GPU check (issue 20): on a machine with an NVIDIA GPU, one epoch of the default recipe (Lite0 at 192 px) on the real
# photos with mixed precision, training images/s on the GPU against a short CPU run, then `plantvit export` and ONNX
# Runtime's batch-1 and batch-32 latency of FP32 and INT8 on CUDA against the 50 ms criterion: a table, and JSON at --out.
#   PLANTVIT_DATA=../shared/data bash tools/gpu_check.sh [--out bench/results/gpu_check.json]
#   bash tools/gpu_check.sh --dry-run --out /tmp/gpu_check.json    # the same Python on the CPU: stand-in photos, tiny sizes
# Without an NVIDIA GPU it says so and exits 0. Under 8 minutes on one H200. From the registries it takes only
# onnxruntime-gpu (PyPI, into runs/gpu-check/onnxruntime-gpu: the venv keeps its own onnxruntime) and, on a fresh clone,
# the venv (`make`); no weights or data from any hub. Exit 2: PLANTVIT_DATA unset; 1: a figure could not be measured.
set -euo pipefail
OUT=bench/results/gpu_check.json DRY=
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=${2:?--out needs a path}; shift 2;;
    --out=*) OUT=${1#--out=}; shift;;
    --dry-run) DRY=1; shift;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    *) echo "gpu_check.sh: unknown argument $1 (expected --out PATH, --dry-run)" >&2; exit 2;;
  esac
done
OUT=$(realpath -m -- "$OUT")          # relative to where it was called from
cd "$(dirname "$0")/.."
NO_GPU="no NVIDIA GPU here: nothing to measure (the figures wait for a machine with one)"
PY=.venv/bin/python
if [ -n "$DRY" ]; then
  exec env PYTHONUNBUFFERED=1 $PY bench/gpu_check.py --dry-run --out "$OUT"
fi
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then echo "$NO_GPU"; exit 0; fi
[ -x $PY ] || make .venv/bin/.installed        # a fresh clone: the project's venv, as `make setup` makes it
if ! $PY -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "(nvidia-smi lists a GPU, but this venv's torch sees none: a CPU build of torch, or a driver older than its CUDA?)" >&2
  echo "$NO_GPU"; exit 0
fi
if [ -z "${PLANTVIT_DATA:-}" ]; then
  echo "gpu_check.sh: set PLANTVIT_DATA to the folder of the real photos (plantvillage/, ibean/, citrus/), e.g. ../shared/data" >&2
  exit 2
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
# ONNX Runtime for CUDA: onnxruntime-gpu provides the same `onnxruntime` module as the venv's onnxruntime (which export,
# quantization and serving use), so it goes into a folder of its own that only the latency process puts first on its path.
# 1.31.1 is built for CUDA 13, as the venv's torch (cu130) is; ORT_GPU=onnxruntime-gpu==X.Y.Z chooses another.
ORT_DIR=runs/gpu-check/onnxruntime-gpu ORT_GPU=${ORT_GPU:-onnxruntime-gpu==1.31.1}
if ! PYTHONPATH=$ORT_DIR $PY -c 'import sys, onnxruntime as o; sys.exit("CUDAExecutionProvider" not in o.get_available_providers())' 2>/dev/null; then
  rm -rf $ORT_DIR
  $PY -m pip install -q --disable-pip-version-check --no-deps --retries 1 --timeout 30 --target $ORT_DIR "$ORT_GPU" ||
    echo "gpu_check.sh: could not install $ORT_GPU: ONNX Runtime will run on the CPU, and the check will say so" >&2
fi
# the real photos, organized as tools/build_default_bundle.sh organizes them (skipped when done)
DATA=${DATA:-runs/organized-5}
[ -f $DATA/manifest.parquet ] || .venv/bin/plantvit organize "$PLANTVIT_DATA/plantvillage" "Bean=$PLANTVIT_DATA/ibean" "Citrus=$PLANTVIT_DATA/citrus" --out $DATA
exec env PYTHONUNBUFFERED=1 $PY bench/gpu_check.py --data $DATA --ort-path $ORT_DIR --out "$OUT"
