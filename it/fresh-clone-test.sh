#!/usr/bin/env bash
# Every bin/deconv-spark command as a new user meets it: in a copy of this checkout without any build output
# (what `git clone` gives: tracked and new files, nothing ignored), with a local Maven repository that holds only
# third-party artifacts (this machine's, hard-linked, minus io/github/deconvspark). So nothing this project
# built or installed earlier, anywhere outside the clone, can stand in for a missing build step.
# Each command must exit 0 and print what it exists for; at the end the repository must still hold nothing of
# ours (the launcher builds inside the clone; it never installs).
#
#   it/fresh-clone-test.sh        (.ci/run runs it after the cluster test; about 5 minutes on 2 cores)
# Work folder: FRESH_WORK (it/target/fresh; removed first). Fetched data (gear, photos, MNIST) come from the
# usual caches (~/.cache/deconv-spark), which are data, not build output: .ci/run empties them before the demo.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${FRESH_WORK:-$ROOT/it/target/fresh}"
T0=$(date +%s)
say() { echo "fresh-clone-test [$(( $(date +%s) - T0 )) s]: $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

SRC_REPO="$(bash "$ROOT/it/maven-local-repo.sh")"
rm -rf "$WORK"
mkdir -p "$WORK/logs" "$WORK/out"
CLONE="$WORK/clone"
REPO="$WORK/m2"

say "copying the checkout without build output to $CLONE"
mkdir -p "$CLONE"
( cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf - ) | tar -xf - -C "$CLONE"
[ ! -e "$CLONE/jobs/target" ] && [ ! -e "$CLONE/kernels/target" ] || fail "the copy holds build output"

say "seeding $REPO with the third-party artifacts of $SRC_REPO"
mkdir -p "$REPO"
if [ -d "$SRC_REPO" ]; then
  # Jars are hard-linked (Maven never rewrites a downloaded jar); every other file is copied, because Maven
  # rewrites its metadata files (_remote.repositories, maven-metadata-*.xml) in place.
  cp -al "$SRC_REPO/." "$REPO/" 2>/dev/null || cp -a "$SRC_REPO/." "$REPO/"
  rm -rf "$REPO/io/github/deconvspark"
  find "$REPO" -type f ! -name '*.jar' -links +1 -exec sh -c 'for f; do cp -p "$f" "$f.copy" && mv -f "$f.copy" "$f"; done' sh {} +
fi
[ ! -e "$REPO/io/github/deconvspark" ] || fail "the seeded repository holds this project's artifacts"
# Every Maven the launcher starts reads the repository from here (-Dmaven.repo.local in MAVEN_OPTS).
export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }-Dmaven.repo.local=$REPO"
DS="$CLONE/bin/deconv-spark"

run() { # run NAME EXPECTED-REGEX COMMAND...: the command exits 0 and its stdout matches EXPECTED-REGEX
  local name="$1" want="$2"; shift 2
  local t=$(date +%s) rc=0
  "$@" > "$WORK/logs/$name.out" 2> "$WORK/logs/$name.err" || rc=$?
  if [ $rc != 0 ]; then
    tail -n 25 "$WORK/logs/$name.err" >&2
    fail "$name: exit $rc ($*)"
  fi
  grep -q -E "$want" "$WORK/logs/$name.out" || { tail -n 25 "$WORK/logs/$name.out" >&2; fail "$name: no line matches /$want/"; }
  say "$name: ok ($(( $(date +%s) - t )) s)"
}

run help '^  kernels-demo ' "$DS" help
# The first command that needs the application builds it (kernels, models, jobs) in the clone.
run kernels-demo '^conts:' "$DS" kernels-demo
grep -q 'building jobs' "$WORK/logs/kernels-demo.err" || fail "kernels-demo did not build the application in the clone"
for job in visualize bench-visualize gradcheck gradients train bench-train export-images; do
  run "$job-help" "^usage: bin/deconv-spark $job " "$DS" "$job" --help
done

# Each job once, small, on real data.
PHOTOS="$(bash "$CLONE/data/fetch-photos.sh" | tail -n 1)"
MODEL="$(bash "$CLONE/models/fetch-gear.sh" | tail -n 1)"
mkdir -p "$WORK/photos"
for f in astronaut.png chelsea.png coffee.png dog.jpg horses.jpg lfw-000.png; do cp "$PHOTOS/$f" "$WORK/photos/"; done
run visualize '^gallery: file:' "$DS" visualize --input "$WORK/photos" --model "$MODEL" --output "$WORK/out/visualize" \
  --layers conv2d_1/Relu --channels 0-1 --top-k 2
test -f "$WORK/out/visualize/_SUCCESS" || fail "visualize: no _SUCCESS"
grep -q 'ND4J [0-9][0-9.]*[-A-Za-z0-9.]* native ' "$WORK/logs/visualize.err" "$WORK/logs/visualize.out" \
  || fail "visualize: start-up does not name the ND4J version (ND4J <version> native <classifier>)"
grep -q 'ND4J null' "$WORK/logs/visualize.err" "$WORK/logs/visualize.out" && fail "visualize: start-up prints 'ND4J null'"
# A cron-like environment (LANG=C): a folder name that is not ASCII must still be found.
mkdir -p "$WORK/photos-café"
cp "$WORK/photos/astronaut.png" "$WORK/photos/dog.jpg" "$WORK/photos-café/"
run visualize-c-locale '^gallery: file:' env LANG=C LC_ALL=C "$DS" visualize --input "$WORK/photos-café" --model "$MODEL" \
  --output "$WORK/out/visualize-c" --layers conv2d_1/Relu --channels 0 --top-k 1
run bench-visualize 'bench-visualize: 6 files' "$DS" bench-visualize --input "$WORK/photos" --model "$MODEL" \
  --output "$WORK/out/bench-visualize" --layers conv2d_1/Relu --channels 0 --top-k 1 rounds=1
run gradcheck '^gradcheck: 20 cases, 0 failed' "$DS" gradcheck --output "$WORK/out/gradcheck" --cases 20
test -f "$WORK/out/gradcheck/_SUCCESS" || fail "gradcheck: no _SUCCESS"
run export-images '^export-images: 20 images' "$DS" export-images --data mnist --output "$WORK/out/mnist-png" --limit 20
[ "$(find "$WORK/out/mnist-png" -name '*.png' | wc -l)" = 20 ] || fail "export-images: not 20 PNGs"
NET="$CLONE/conf/models/lenet.net"
run gradients '^gradients: 256 examples \(0 rejected\)' "$DS" gradients --data mnist --model "$NET" --output "$WORK/out/gradients" --limit 256 --batch 128
test -f "$WORK/out/gradients/_SUCCESS" || fail "gradients: no _SUCCESS"
run train '^train: 1 epochs, test accuracy' "$DS" train --data mnist --model "$NET" --output "$WORK/out/train" --epochs 1 --limit 512 --test-limit 256
test -s "$WORK/out/train/manifest.json" || fail "train: no manifest.json"
run bench-train "^  Spark's cost per step" "$DS" bench-train --data mnist --model "$NET" --limit 512 --steps 2 --rounds 1 --warmup 1
# The kernel benchmark builds the oracle and bench modules and starts TensorFlow Java in its own JVM.
run bench-kernels '^\| case \| ours ms \| TF ms' "$DS" bench-kernels --iters 1 --warmup 0 --only conv3x3_224x3_64_s2_valid
# The model benchmark builds the bench module, exports the torchvision models (cached) and runs PyTorch in its own process.
run bench-models '^\| model \| pass \| ours ms \| ONNX Runtime ms' "$DS" bench-models --models resnet18 --batch 1 --warmup 0 --iters 1 --rounds 1
# A PyTorch user's model through the visualize job's --list-layers (the README's first command for it).
ONNX_DIR="$(bash "$CLONE/models/scripts/torch-onnx.sh" | tail -1)"
run list-layers '^  /layer4/layer4.1/relu_1/Relu_output_0 ' "$DS" visualize --model "$ONNX_DIR/resnet18.onnx" --list-layers

[ ! -e "$REPO/io/github/deconvspark" ] || fail "a command installed this project's artifacts into the local Maven repository"
say "all launcher commands work on a fresh clone (work folder: $WORK)"
