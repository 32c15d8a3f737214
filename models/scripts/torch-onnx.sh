#!/usr/bin/env bash
# usage: torch-onnx.sh [OUTDIR]
# Exports torchvision's resnet18, vgg11_bn, mobilenet_v2, squeezenet1_1, densenet121, googlenet,
# efficientnet_b0 and mnasnet1_0 (weights=None, initialised after torch.manual_seed, batch norms given
# seeded gamma/beta and the statistics of a seeded calibration batch (see torch_onnx.py), eval mode, input
# 1x3x224x224 float32 with a dynamic batch axis) to ONNX opset 13 (resnet18 also at opsets 9 and 17:
# resnet18-opset9.onnx, resnet18-opset17.onnx), with PyTorch's own outputs on a seeded input batch of 2
# (input.f32 / NAME.output.f32: raw little-endian float32, also as .npy; NAME.reference.json names the
# shapes) and models.json (opsets, ONNX op types per file, sizes, SHA-256). Prints the output folder.
# Idempotent: models.json is written last (files are built in a hidden folder and moved in, models.json
# after everything else), so a folder with models.json is complete and a second run only prints it.
# Default folder: $DECONV_TORCH_ONNX_CACHE, else ~/.cache/deconv-spark/models/torch-onnx-<torch>-<torchvision>.
# Reproducible: the same torch/torchvision give byte-identical .onnx files (checked: two runs, same SHA-256).
# Needs Debian's python3-torch, python3-torchvision, python3-onnx (installed here with apt-get when missing
# and run as root); $DECONV_PYTHON picks the interpreter (default /usr/bin/python3, Debian's, whose
# dist-packages hold torch: a pyenv or venv python3 on PATH does not see them). About 2-3 minutes on 2 cores.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${DECONV_PYTHON:-/usr/bin/python3}"
OUT="${1:-${DECONV_TORCH_ONNX_CACHE:-}}"
if [[ -n "$OUT" && -s "$OUT/models.json" ]]; then   # done before: no need to import torch
  echo "$OUT"
  exit 0
fi
CHECK='import torch, torchvision, onnx, numpy; print(torch.__version__ + "-" + torchvision.__version__)'
if ! VERS="$("$PY" -c "$CHECK" 2>/dev/null)"; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "torch-onnx.sh: installing python3-torch python3-torchvision python3-onnx (apt-get)" >&2
    pkgs=(python3-torch python3-torchvision python3-onnx python3-numpy)
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >&2 \
      || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >&2; }
  fi
  VERS="$("$PY" -c "$CHECK")" || {
    echo "torch-onnx.sh: $PY cannot import torch, torchvision, onnx (apt-get install -y python3-torch python3-torchvision python3-onnx)" >&2
    exit 1; }
fi
OUT="${OUT:-$HOME/.cache/deconv-spark/models/torch-onnx-$VERS}"
if [[ -s "$OUT/models.json" ]]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
TMP="$(mktemp -d "$OUT/.build.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
"$PY" "$HERE/torch_onnx.py" "$TMP"
# models.json last: its presence means every other file is in place
for f in "$TMP"/*; do
  [[ "$(basename "$f")" == models.json ]] || mv -f "$f" "$OUT/"
done
mv -f "$TMP/models.json" "$OUT/models.json"
echo "$OUT"
