#!/usr/bin/env bash
# usage: keras-files.sh [--check] [OUTDIR]
# Writes nsfwjs 4.4.0's two Keras networks (TF.js layers models of Keras 2.2.4 models, fetched by
# fetch-npm-models.sh: inception_v3 299x299x3 and mobilenet_v2 224x224x3, 5 classes, uint8-quantized
# weights decoded as TF.js decodes them) as Keras files, with Debian's python3-h5py and numpy (no Keras or
# TensorFlow Python package is used or needed):
#   NAME.keras       Keras 3 zip: metadata.json, config.json, model.weights.h5 (layers/<snake_case class>[_k]/vars/<i>)
#   NAME.h5          legacy Keras HDF5: attrs keras_version, backend, model_config (JSON); group model_weights with
#                    attrs layer_names, backend, keras_version and per layer a group with attr weight_names and
#                    datasets <layer>/<weight>:0
#   NAME.files.json  layers, weights and their paths in both files, sizes, SHA-256
# Prints "NAME.keras PATH" and "NAME.h5 PATH" per model. Idempotent: files are written in a hidden folder and
# moved in, keras-files.json (the index) last, so a folder with keras-files.json is complete. Reproducible:
# no timestamps (metadata.json's date_saved and the zip entries' dates are fixed), two runs give the same bytes.
# Default folder: $DECONV_KERAS_CACHE, else ~/.cache/deconv-spark/models/nsfwjs-4.4.0-keras.
# --check: also runs each network with the official TF.js runtime (models/src/test/node/layers-reference.js,
#   tfjs-layers 4.22 installed by tfjs-layers.sh into $DECONV_TFJS_DIR, default models/target) on a seeded input and compares it, layer by
#   layer, with a float64 numpy forward pass that reads each Keras file as Keras loads it (keras_check.py);
#   the TF.js outputs stay in OUTDIR/tfjs-reference/NAME/. About 1 minute (mobilenet_v2) + 5 (inception_v3).
#
# How the two layouts were checked (there is no Keras or TensorFlow here to write a file to compare with):
# - Real files: none to be had on this machine. Debian has no keras/tensorflow package; its
#   python3-keras-applications 1.0.8 and python3-keras-preprocessing 1.1.0 ship no .h5/.keras (dpkg -c:
#   keras-applications downloads its weights at run time); npm's only Keras package, keras-js 1.0.3, ships
#   none either (tar -t). The TF.js files themselves come from a real Keras 2.2.4 HDF5 file: the converter
#   copies its keras_version, backend, model_config and training_config attributes into modelTopology, so
#   model_config here is byte-for-byte the JSON Keras 2.2.4 wrote (re-serialized, with float fields such as
#   scale, epsilon, max_value restored to floats).
# - .h5: follows Keras 2.2.4's saving.py _serialize_model with include_optimizer=False (training_config and
#   optimizer_weights left out: the SGD config uses Keras 2's 'lr', which Keras 3's legacy loader rejects),
#   through h5py 3 as Keras' own code calls it: bytes attributes become variable-length ASCII strings (a
#   fixed-length one over 64 KiB, inception_v3's model_config, is refused by HDF5), layers without weights
#   get weight_names = [] (an empty float64 array), weight datasets model_weights/L/L/<w>:0 in layer.weights
#   order (kernel, bias; depthwise_kernel, bias; gamma, beta, moving_mean, moving_variance); the layer order
#   is Keras' map_graph order, recomputed here and checked to equal the config's.
# - .keras: follows keras-team/keras keras/src/saving/saving_lib.py (3.8, read from its public source):
#   zip entries metadata.json, config.json, model.weights.h5, stored; H5IOStore/H5Entry: a root vars group,
#   then per layer of model.layers (InputLayer included) layers/<naming.to_snake_case(class)>[_k]/vars with
#   datasets "0", "1", ... in _trainable_variables + _non_trainable_variables order; config.json is
#   serialize_keras_object(Functional): module keras.src.models.functional, registered_name Functional,
#   layers with module keras.layers, DTypePolicy dtypes, build_config only for layers with their own build()
#   (Conv2D, DepthwiseConv2D, BatchNormalization, Dense, Flatten, Add, Concatenate), inbound_nodes
#   {"args": [__keras_tensor__ ...], "kwargs": {}}, input_layers/output_layers flat for one tensor. Each
#   layer's config keys were taken from that source's get_config() and compared with real Keras 3
#   config.json files from public repositories (a Sequential CNN with Conv2D, MaxPooling2D,
#   BatchNormalization, Flatten, Dense, Dropout; a Keras 2.3 -> 3 Functional conversion with InputLayer
#   "optional" and keras_tensor shapes).
# - Both files are read back and every weight compared with the TF.js weights; with --check both run (numpy)
#   layer for layer against TF.js itself.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${DECONV_PYTHON:-/usr/bin/python3}"
CHECK=0
if [[ "${1:-}" == "--check" ]]; then CHECK=1; shift; fi
case "${1:-}" in -h|--help) sed -n 2p "$0" | sed 's/^# //' >&2; exit 0 ;; -*) sed -n 2p "$0" | sed 's/^# //' >&2; exit 2 ;; esac
OUT="${1:-${DECONV_KERAS_CACHE:-$HOME/.cache/deconv-spark/models/nsfwjs-4.4.0-keras}}"
MODELS=(inception_v3 mobilenet_v2)

print_paths() {
  local m
  for m in "${MODELS[@]}"; do echo "$m.keras $OUT/$m.keras"; echo "$m.h5 $OUT/$m.h5"; done
}

if [[ ! -s "$OUT/keras-files.json" ]]; then
  "$PY" -c 'import h5py, numpy' 2>/dev/null || {
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
      echo "keras-files.sh: installing python3-h5py (apt-get)" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-h5py python3-numpy >&2 \
        || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-h5py python3-numpy >&2; }
    fi
    "$PY" -c 'import h5py, numpy' || { echo "keras-files.sh: $PY cannot import h5py (apt-get install -y python3-h5py)" >&2; exit 1; }
  }
  mkdir -p "$OUT"
  OUT="$(cd "$OUT" && pwd)"
  TMP="$(mktemp -d "$OUT/.build.XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT
  for m in "${MODELS[@]}"; do
    SRC="$(bash "$HERE/fetch-npm-models.sh" "nsfwjs-$m")"
    "$PY" "$HERE/keras_files.py" "$SRC" "$TMP" "$m"
  done
  "$PY" - "$TMP" "${MODELS[@]}" <<'PYEOF'
import json, sys
d, models = sys.argv[1], sys.argv[2:]
index = {"generator": "models/scripts/keras-files.sh", "source": "npm nsfwjs@4.4.0 (MIT), TF.js layers models",
         "models": {m: json.load(open(f"{d}/{m}.files.json")) for m in models}}
for m in index["models"].values():
    m.pop("weights_paths")
json.dump(index, open(f"{d}/keras-files.json.part", "w"), indent=1)
PYEOF
  for f in "$TMP"/*; do
    case "$(basename "$f")" in keras-files.json.part) ;; *) mv -f "$f" "$OUT/" ;; esac
  done
  mv -f "$TMP/keras-files.json.part" "$OUT/keras-files.json"
fi
OUT="$(cd "$OUT" && pwd)"

if [[ $CHECK == 1 ]]; then
  NODE_PATH="$(bash "$HERE/tfjs-layers.sh" ${DECONV_TFJS_DIR:+"$DECONV_TFJS_DIR"})"
  export NODE_PATH
  declare -A PROBE=(
    [mobilenet_v2]="Conv1 bn_Conv1 Conv1_relu expanded_conv_depthwise block_2_add block_16_project_BN average_pooling2d_1 dense_1 dense_3"
    [inception_v3]="conv2d_1 batch_normalization_1 activation_1 max_pooling2d_1 mixed0 mixed5 mixed10 average_pooling2d_10 dense_3")
  for m in "${MODELS[@]}"; do
    R="$OUT/tfjs-reference/$m"
    rm -rf "$R"; mkdir -p "$R"
    SHAPE="$("$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["input_shape"]; print(",".join(str(v) for v in [1]+s[1:]))' "$OUT/$m.files.json")"
    # a seeded input in [0, 1] (nsfwjs feeds images scaled to [0, 1])
    "$PY" -c 'import numpy as np,sys; np.random.default_rng(1).uniform(0,1,[int(v) for v in sys.argv[2].split(",")]).astype("<f4").tofile(sys.argv[1])' "$R/input.f32" "$SHAPE"
    SRC="$(bash "$HERE/fetch-npm-models.sh" "nsfwjs-$m")"
    node "$HERE/../src/test/node/layers-reference.js" "$SRC" "$R/input.f32" "$SHAPE" "$R" --no-grad ${PROBE[$m]} 2> >(grep -v -e '^=*$' -e 'Hi, looks like' -e '^$' >&2) >/dev/null
    "$PY" "$HERE/keras_check.py" "$OUT/$m.keras" "$R" >&2
    "$PY" "$HERE/keras_check.py" "$OUT/$m.h5" "$R" >&2
  done
fi
print_paths
