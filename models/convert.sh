#!/usr/bin/env bash
# convert.sh [OUT_DIR]: fetch the mediapipe 0.10.14 wheel from PyPI, take its two face models
# (.tflite) and convert them to ONNX with tf2onnx 1.17 (opset 13). A throw-away venv (~1.6 GB).
set -euo pipefail
out=$(realpath "${1:-.}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q mediapipe==0.10.14 tensorflow-cpu tf2onnx==1.17.0
site=$("$work/venv/bin/python" -c 'import mediapipe, os; print(os.path.dirname(mediapipe.__file__))')
for m in modules/face_detection/face_detection_short_range modules/face_landmark/face_landmark; do
  "$work/venv/bin/python" -m tf2onnx.convert --tflite "$site/$m.tflite" \
    --output "$out/$(basename "$m").onnx" --opset 13
done
(cd "$out" && sha256sum face_detection_short_range.onnx face_landmark.onnx)
