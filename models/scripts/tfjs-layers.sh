#!/usr/bin/env bash
# usage: tfjs-layers.sh [DIR]
# npm installs the official TF.js runtime 4.22.0 for layers models into DIR (default models/target, the
# folder the Java tests put on NODE_PATH): tfjs-core, tfjs-backend-cpu and tfjs-converter through
# `fetch-gear.sh tfjs DIR`, then @tensorflow/tfjs-layers@4.22.0 the same way (npm install --prefix DIR).
# Idempotent (installs only what is missing or of another version); prints DIR/node_modules.
# Used by models/src/test/node/layers-reference.js (NODE_PATH=DIR/node_modules).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="${1:-$HERE/../target}"
V=4.22.0
command -v npm >/dev/null || { echo "tfjs-layers.sh: npm is needed (apt-get install npm)" >&2; exit 1; }
bash "$HERE/../fetch-gear.sh" tfjs "$DIR" >/dev/null
DIR="$(cd "$DIR" && pwd)"
P="$DIR/node_modules/@tensorflow/tfjs-layers/package.json"
if [[ ! -f "$P" ]] || ! grep -q "\"version\": \"$V\"" "$P"; then
  npm install --silent --no-audit --no-fund --prefix "$DIR" "@tensorflow/tfjs-layers@$V" >&2
fi
echo "$DIR/node_modules"
