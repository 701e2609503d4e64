#!/usr/bin/env bash
# The recorded recipe of the bundle that ships in plantvit/bundles/default, from the real photos to the shipped copy.
# Each step is skipped when its output exists, so an interrupted build resumes (a training interrupted mid-way resumes
# from its last epoch: --resume). About 45 minutes on a quiet 2-core CPU (43 in session 6), and 25 more for the flat baseline; never run the tests while it trains.
#   PLANTVIT_DATA=../shared/data bash tools/build_default_bundle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PLANTVIT_DATA:?set PLANTVIT_DATA to the folder holding plantvillage/, ibean/, citrus/ and non_plant/}"
PV=.venv/bin/plantvit
DATA=${DATA:-runs/organized-5} SERVER=${SERVER:-runs/lite0-192} STUDENT=${STUDENT:-runs/student-lite0-160}
BUNDLE=${BUNDLE:-runs/bundle-lite0-192} EVAL=${EVAL:-runs/evaluation-default}
FLAT=${FLAT:-runs/recipes/flat-lite0-192-3ep} FLAT_BUNDLE=${FLAT_BUNDLE:-runs/bundle-flat-lite0-192}
SHIPPED=plantvit/bundles/default
# has BUNDLE KEY: its metrics.json holds KEY (a step that records there is done)
has() { .venv/bin/python -c 'import json, sys, pathlib; p = pathlib.Path(sys.argv[1]) / "metrics.json"
sys.exit(0 if p.exists() and json.loads(p.read_text()).get(sys.argv[2]) else 1)' "$1" "$2"; }
# current_ood BUNDLE: its detector is the one `plantvit ood` fits by default (format, inputs, operating point)
current_ood() { .venv/bin/python -c 'import sys; from plantvit.ood import detector_identity, default_detector_identity
sys.exit(0 if detector_identity(sys.argv[1]) == default_detector_identity() else 1)' "$1"; }
# test_current BUNDLE: its test record was scored with the detector it holds (what a grower is told depends on it)
test_current() { .venv/bin/python -c 'import json, sys, pathlib; from plantvit.ood import detector_identity
p = pathlib.Path(sys.argv[1]); t = json.loads((p / "metrics.json").read_text()).get("test")
sys.exit(0 if t and t.get("detector") == detector_identity(p) else 1)' "$1"; }
# bundle RUN BUNDLE: export (FP32 + INT8, both measured on val), calibrate (the temperatures, before ood: it reads the
# confidences) and fit the OOD gate; each step skipped when it is done, so an interrupted build resumes
bundle() {
  [ -f $2/bundle.json ] || $PV export $1 --out $2 --manifest $DATA
  has $2 calibration || $PV calibrate $2 --manifest $DATA
  current_ood $2 || $PV ood $2 --manifest $DATA --non-plant "$PLANTVIT_DATA/non_plant"
}
SOURCES=("$PLANTVIT_DATA/plantvillage" "Bean=$PLANTVIT_DATA/ibean" "Citrus=$PLANTVIT_DATA/citrus")
# five species from four sources, merged by the shipped synonyms (Orange is a citrus; one huanglongbing), near-duplicates
# grouped, split 70/15/15 by group
[ -f $DATA/manifest.parquet ] || $PV organize "${SOURCES[@]}" --out $DATA
# the server model: EfficientNet-Lite0 from the offline ImageNet weights, 192 px, 3 epochs with `plantvit train`'s
# defaults (issue 21's recipe: one learning rate 2e-3 for the whole network, no frozen epoch, light augmentation)
[ -f $SERVER/val_report.md ] || $PV train $DATA --out $SERVER --size 192 --epochs 3 --resume
bundle $SERVER $BUNDLE
# the browser model: Lite0 at 160 px distilled from the server bundle, converted to TF.js in its own venv
[ -f $STUDENT/val_report.md ] || $PV train $DATA --out $STUDENT --size 160 --epochs 3 --teacher $BUNDLE --resume
[ -d $BUNDLE/browser ] || { [ -x .venv-tfjs/bin/python ] || bash tools/tfjs_env.sh; \
  $PV browser $BUNDLE --student $STUDENT --manifest $DATA --non-plant "$PLANTVIT_DATA/non_plant"; }
# the class activation map's input (issue 18): a bundle exported before it lacks the feature_map output; adding it
# changes no other output (05f_cam), and the card lists the outputs, so it is rewritten (metrics.json stays byte for byte)
feature_maps() { .venv/bin/python -c 'import sys; from plantvit.cam import add_feature_maps; from plantvit.metrics import update_metrics
[update_metrics(add_feature_maps(d), {}) for d in sys.argv[1:]]' "$@"; }
feature_maps $BUNDLE
# what ships: the INT8 model only (FP32's figures stay in metrics.json and the model card)
cmp -s $BUNDLE/model.int8.onnx $SHIPPED/model.int8.onnx || $PV ship $BUNDLE --out $SHIPPED --overwrite
feature_maps $SHIPPED
# a detector refitted since the model shipped is refitted on the shipped copy too (its records stay)
current_ood $SHIPPED || $PV ood $SHIPPED --manifest $DATA --non-plant "$PLANTVIT_DATA/non_plant"
# the card's per-class, robustness and background sections: a full evaluation of the shipped copy on the val photos (~10 min);
# then the test split, scored once, after every choice is made
{ has $SHIPPED robustness && has $SHIPPED per_class; } || $PV evaluate "${SOURCES[@]}" --bundle $SHIPPED --record --out $EVAL
has $SHIPPED test || $PV evaluate "${SOURCES[@]}" --bundle $SHIPPED --split test --quick --record --out $EVAL-test
# the model is unchanged by a new detector, but what a grower is told is not: re-scored once with it
test_current $SHIPPED || $PV evaluate "${SOURCES[@]}" --bundle $SHIPPED --split test --quick --record --rescore-test --out $EVAL-test
# the flat baseline (issue 13): the same backbone, size, data and budget with one softmax over all classes, exported,
# calibrated and gated the same way, scored once on the same test photos, and put beside the shipped model in its card
[ -f $FLAT/val_report.md ] || $PV train $DATA --out $FLAT --size 192 --epochs 3 --flat --resume
bundle $FLAT $FLAT_BUNDLE
has $FLAT_BUNDLE test || $PV evaluate "${SOURCES[@]}" --bundle $FLAT_BUNDLE --split test --quick --record --out $EVAL-flat-test
test_current $FLAT_BUNDLE || $PV evaluate "${SOURCES[@]}" --bundle $FLAT_BUNDLE --split test --quick --record --rescore-test --out $EVAL-flat-test
.venv/bin/python -c 'import json, sys; a, b = (json.load(open(f"{d}/metrics.json")) for d in sys.argv[1:])
sys.exit(0 if (a.get("baseline") or {}).get("test") == b["test"] else 1)' $SHIPPED $FLAT_BUNDLE || $PV compare $SHIPPED $FLAT_BUNDLE --record
