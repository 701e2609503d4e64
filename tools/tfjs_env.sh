#!/usr/bin/env bash
# The converter environment for the browser model: ONNX → TensorFlow SavedModel (onnx2tf) → TF.js (tensorflowjs).
# TensorFlow pins numpy and protobuf against the torch stack, so the converters get their own venv (default
# .venv-tfjs); plantvit.browser calls it in a subprocess. Pins and why (measured on this project's machine):
#  - tensorflowjs 4.22.0 alone resolves to TensorFlow 2.19, whose converter crashes on import unless ydf < 0.16;
#  - setuptools < 81: tensorflow_hub still imports pkg_resources;
#  - onnx2tf pins exact versions of everything, so it goes in with --no-deps plus the packages it imports, at its own
#    pins where they agree with TensorFlow 2.19 (onnx 1.19.1: newer onnx is built for protobuf 6, which TF refuses);
#  - protobuf 5.29: ydf needs >= 5.29, TensorFlow 2.19 < 6.
set -euo pipefail
ENV=${1:-.venv-tfjs}
cd "$(dirname "$0")/.."
if [ -f "$ENV/bin/.installed" ]; then echo "$ENV is ready"; exit 0; fi
python3 -m venv "$ENV"
"$ENV/bin/pip" install -q --upgrade pip
"$ENV/bin/pip" install -q "tensorflowjs==4.22.0" "ydf<0.16" "setuptools<81"
"$ENV/bin/pip" install -q --no-deps "onnx2tf==1.29.24"
"$ENV/bin/pip" install -q "onnx==1.19.1" "onnxruntime==1.23.0" "onnxsim==0.4.36" "onnx-graphsurgeon==0.5.8" \
    "ai-edge-litert==2.1.0" "psutil==5.9.5" "sng4onnx==1.0.4" "sne4onnx==1.0.13" "protobuf==5.29.6"
"$ENV/bin/python" -c "import tensorflow, tensorflowjs, onnx2tf; print('tensorflow', tensorflow.__version__, '| tensorflowjs', tensorflowjs.__version__, '| onnx2tf', onnx2tf.__version__)"
touch "$ENV/bin/.installed"
