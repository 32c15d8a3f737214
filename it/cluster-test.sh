#!/usr/bin/env bash
# The jobs (visualize, gradcheck, gradients, train) on a real cluster: a Spark standalone Master and two Workers (each executor its own JVM)
# and an HDFS (MiniDFSCluster), all on 127.0.0.1, all from Maven Central jars. The visualize job is
# submitted with SparkSubmit in client mode, reading from and writing to hdfs://; its output must equal
# a local run's. Then the fault test: the same job again, one executor killed (kill -9 by its pid)
# while it runs; the output must still equal the local run's (no missing or duplicated rows).
# gradients and train run on the cluster over MNIST's first 2000 examples on HDFS: their gradients
# (.npy) and trained weights must equal local runs' (to float64 rounding of the merge order).
#
#   it/cluster-test.sh            (.ci/run runs it after the unit tests)
# Ports (127.0.0.1; busy ones are refused): MASTER_PORT (17077), MASTER_UI_PORT (18080),
# WORKER_UI_PORTS ("18081 18082"), HDFS_PORT (19000). Work folder: CLUSTER_WORK (it/target/cluster).
# Every process started here is stopped by its pid on exit, also when a step fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${CLUSTER_WORK:-$ROOT/it/target/cluster}"
MASTER_PORT="${MASTER_PORT:-17077}"
MASTER_UI_PORT="${MASTER_UI_PORT:-18080}"
read -r -a WORKER_UI <<< "${WORKER_UI_PORTS:-18081 18082}"
HDFS_PORT="${HDFS_PORT:-19000}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
MVN=(mvn -B -q -Dstyle.color=never -f "$ROOT/pom.xml")
T0=$(date +%s)
say() { echo "cluster-test [$(( $(date +%s) - T0 )) s]: $*" >&2; }

PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 1
  done
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  if [ $rc != 0 ] && [ "${LOGS_OURS:-0}" = 1 ]; then
    say "FAILED (exit $rc); logs in $WORK/logs"
    tail -n 30 "$WORK"/logs/*.log >&2 2>/dev/null || true
  fi
  exit $rc
}
trap cleanup EXIT

busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
master_json() { # the Master's status page, over bash's /dev/tcp (no curl needed)
  ( exec 3<>"/dev/tcp/127.0.0.1/$MASTER_UI_PORT" && printf 'GET /json/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 && cat <&3 ) 2>/dev/null || true
}
for p in "$MASTER_PORT" "$MASTER_UI_PORT" "${WORKER_UI[@]}" "$HDFS_PORT"; do
  if busy "$p"; then
    echo "cluster-test: port $p on 127.0.0.1 is busy; choose free ones with MASTER_PORT, MASTER_UI_PORT, WORKER_UI_PORTS, HDFS_PORT" >&2
    exit 2
  fi
done

rm -rf "$WORK"
mkdir -p "$WORK/logs" "$WORK/spark-home/jars"
LOGS_OURS=1
say "building the application jar and the test tools"
# One reactor build (the package phases write jobs/target/spark-classpath.txt and it/target/classpath.txt): no
# Maven call on a single module, which would look for this project's modules in the local Maven repository.
"${MVN[@]}" -pl jobs,it -am package -DskipTests -Dmaven.test.skip=true >&2
cp "$ROOT/jobs/target/spark-classpath.txt" "$WORK/spark-cp.txt"
APP_JAR="$ROOT/jobs/target/deconv-spark-app.jar"
IT_CP="$ROOT/it/target/classes:$(cat "$ROOT/it/target/classpath.txt")"
# SPARK_HOME from Maven: jars/ is all a Worker needs (links to the local Maven repository).
# (the file has no final newline: one is added, or read would drop the last jar)
{ tr ':' '\n' < "$WORK/spark-cp.txt"; echo; } | while read -r j; do [ -z "$j" ] || ln -sf "$j" "$WORK/spark-home/jars/"; done
[ "$(ls "$WORK/spark-home/jars" | wc -l)" -ge "$(tr ':' '\n' < "$WORK/spark-cp.txt" | sed 's@.*/@@' | sort -u | grep -c .)" ] \
  || { say "spark-home/jars does not hold every jar of the provided classpath"; exit 1; }
MODULE_OPTS=$("$JAVA" -cp "$APP_JAR:$(cat "$WORK/spark-cp.txt")" io.github.deconvspark.jobs.JvmOptions)
export SPARK_HOME="$WORK/spark-home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1
SPARK_CP="$ROOT/conf:$SPARK_HOME/jars/*"

say "starting HDFS (MiniDFSCluster) on port $HDFS_PORT"
"$JAVA" -Xmx768m -cp "$IT_CP" io.github.deconvspark.it.MiniHdfs "$HDFS_PORT" "$WORK/hdfs" > "$WORK/logs/hdfs.log" 2>&1 &
PIDS+=($!)
say "starting a Spark Master on $MASTER_PORT and two Workers (1 core, 2 GiB each)"
# shellcheck disable=SC2086
"$JAVA" $MODULE_OPTS -Xmx512m -cp "$SPARK_CP" org.apache.spark.deploy.master.Master --host 127.0.0.1 \
  --port "$MASTER_PORT" --webui-port "$MASTER_UI_PORT" > "$WORK/logs/master.log" 2>&1 &
PIDS+=($!)
for i in 0 1; do
  # shellcheck disable=SC2086
  "$JAVA" $MODULE_OPTS -Xmx512m -cp "$SPARK_CP" org.apache.spark.deploy.worker.Worker "spark://127.0.0.1:$MASTER_PORT" \
    --host 127.0.0.1 --cores 1 --memory 2g --webui-port "${WORKER_UI[$i]}" --work-dir "$WORK/worker$i" \
    > "$WORK/logs/worker$i.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 1 120); do
  grep -q READY "$WORK/logs/hdfs.log" 2>/dev/null \
    && master_json | grep -Eq '"aliveworkers" *: *2' && break
  for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || { say "a daemon died (pid $pid)"; exit 1; }; done
  sleep 1
done
grep -q READY "$WORK/logs/hdfs.log" || { say "HDFS did not start"; exit 1; }
master_json | grep -Eq '"aliveworkers" *: *2' || { say "the workers did not register"; exit 1; }
HDFS="hdfs://127.0.0.1:$HDFS_PORT"
say "cluster up: $HDFS, spark://127.0.0.1:$MASTER_PORT with 2 workers"

# Input: real photos (faces and others) and bad files; the gear model.
MODEL_JSON="$(bash "$ROOT/models/fetch-gear.sh" | tail -n 1)"
PHOTOS="$(bash "$ROOT/data/fetch-photos.sh" | tail -n 1)"
mkdir -p "$WORK/photos/more" "$WORK/model"
for f in astronaut.png chelsea.png coffee.png camera.png dog.jpg person.jpg; do cp "$PHOTOS/$f" "$WORK/photos/"; done
for i in $(seq -w 0 23); do cp "$PHOTOS/lfw-0$i.png" "$WORK/photos/more/"; done
head -c 3000 "$PHOTOS/eagle.jpg" > "$WORK/photos/truncated.jpg"
echo "not an image" > "$WORK/photos/notes.txt"
cp "$MODEL_JSON" "$(dirname "$MODEL_JSON")/gear.bin" "$WORK/model/"
"$JAVA" -cp "$IT_CP" io.github.deconvspark.it.Hdfs put "$WORK/photos" "$HDFS/photos"
"$JAVA" -cp "$IT_CP" io.github.deconvspark.it.Hdfs put "$WORK/model" "$HDFS/model"
SETTINGS=(--layers conv2d_2/Relu,conv2d_4/Relu,conv2d_6/Relu --channels 0-3 --top-k 3 --batch 4)

say "local run (reference)"
"$JAVA" -Xmx2g -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G $MODULE_OPTS \
  -cp "$ROOT/conf:$APP_JAR:$(cat "$WORK/spark-cp.txt")" io.github.deconvspark.jobs.Main visualize \
  --input "$WORK/photos" --model "$WORK/model/gear.json" --output "$WORK/local-out" --master 'local[2]' \
  "${SETTINGS[@]}" spark.ui.enabled=false > "$WORK/logs/local-run.log" 2>&1

submit() { # submit OUTPUT LOG: the job on the cluster, client mode, HDFS in and out
  # shellcheck disable=SC2086
  "$JAVA" $MODULE_OPTS -Xmx2g -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G \
    -cp "$SPARK_CP" org.apache.spark.deploy.SparkSubmit --master "spark://127.0.0.1:$MASTER_PORT" --deploy-mode client \
    --class io.github.deconvspark.jobs.Main --properties-file "$ROOT/conf/spark-defaults.conf" \
    --conf spark.executor.memory=1g --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false \
    "$APP_JAR" visualize --input "$HDFS/photos" --model "$HDFS/model/gear.json" --output "$1" "${SETTINGS[@]}" > "$2" 2>&1
}
compare() { # compare HDFS_OUTPUT NAME
  "$JAVA" -cp "$IT_CP" io.github.deconvspark.it.Hdfs get "$1" "$WORK/$2"
  "$JAVA" -Xmx1g $MODULE_OPTS -cp "$IT_CP" io.github.deconvspark.it.CompareOutputs "$WORK/local-out" "file:$WORK/photos" \
    "$WORK/$2" "$HDFS/photos" 2> "$WORK/logs/compare-$2.log"
}

say "cluster run: SparkSubmit, client mode, hdfs:// in and out"
submit "$HDFS/out" "$WORK/logs/cluster-run.log"
grep -E "^visualize:" "$WORK/logs/cluster-run.log" >&2
compare "$HDFS/out" cluster-out

say "gradcheck: 300 seeded cases on the cluster, verdicts written to HDFS, against a local run"
"$JAVA" -Xmx2g -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G $MODULE_OPTS \
  -cp "$ROOT/conf:$APP_JAR:$(cat "$WORK/spark-cp.txt")" io.github.deconvspark.jobs.Main gradcheck \
  --output "$WORK/gc-local" --cases 300 --master 'local[2]' spark.ui.enabled=false > "$WORK/logs/gc-local.log" 2>&1
# shellcheck disable=SC2086
"$JAVA" $MODULE_OPTS -Xmx2g -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G \
  -cp "$SPARK_CP" org.apache.spark.deploy.SparkSubmit --master "spark://127.0.0.1:$MASTER_PORT" --deploy-mode client \
  --class io.github.deconvspark.jobs.Main --properties-file "$ROOT/conf/spark-defaults.conf" \
  --conf spark.executor.memory=1g --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false \
  "$APP_JAR" gradcheck --output "$HDFS/gc" --cases 300 > "$WORK/logs/gc-cluster.log" 2>&1
grep -E "^gradcheck: [0-9]+ cases" "$WORK/logs/gc-cluster.log" >&2
"$JAVA" -cp "$IT_CP" io.github.deconvspark.it.Hdfs get "$HDFS/gc" "$WORK/gc-cluster"
"$JAVA" -Xmx1g $MODULE_OPTS -cp "$IT_CP" io.github.deconvspark.it.CompareOutputs "$WORK/gc-local" - "$WORK/gc-cluster" - \
  2> "$WORK/logs/compare-gc.log"

say "gradients and train: MNIST's first 2000 training and 500 test examples on HDFS, against local runs"
MNIST="$(bash "$ROOT/data/fetch-mnist.sh" | tail -n 1)"
mkdir -p "$WORK/mnist"
be32() { printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(( $1 >> 24 & 255 )) $(( $1 >> 16 & 255 )) $(( $1 >> 8 & 255 )) $(( $1 & 255 )))"; }
idx() { # idx SRC DST HEADER_BYTES RECORD_BYTES N: the first N records, the count in the header set to N
  { head -c 4 "$1"; be32 "$5"; dd if="$1" iflag=skip_bytes,count_bytes skip=8 count=$(( $3 - 8 + $4 * $5 )) bs=65536 status=none; } > "$2"
}
idx "$MNIST/train-images-idx3-ubyte" "$WORK/mnist/train-images-idx3-ubyte" 16 784 2000
idx "$MNIST/train-labels-idx1-ubyte" "$WORK/mnist/train-labels-idx1-ubyte" 8 1 2000
idx "$MNIST/t10k-images-idx3-ubyte" "$WORK/mnist/t10k-images-idx3-ubyte" 16 784 500
idx "$MNIST/t10k-labels-idx1-ubyte" "$WORK/mnist/t10k-labels-idx1-ubyte" 8 1 500
cat > "$WORK/small.net" <<'NET'
input 28 28 1
conv 5x5 8 same
relu
maxpool 2x2
conv 5x5 16 same
relu
maxpool 2x2
flatten
dense 32
relu
dense 10
NET
"$JAVA" -cp "$IT_CP" io.github.deconvspark.it.Hdfs put "$WORK/mnist" "$HDFS/mnist"
"$JAVA" -cp "$IT_CP" io.github.deconvspark.it.Hdfs put "$WORK/small.net" "$HDFS/small.net"
for job in gradients train; do
  if [ $job = gradients ]; then args=(--partitions 4 --batch 200); else args=(--partitions 2 --epochs 2 --batch 100 --progress-every 0); fi
  # The local reference runs with the OpenMP threads Spark gives each executor (OMP_NUM_THREADS = spark.task.cpus, 1
  # here, set by SparkContext): oneDNN's float32 filter gradients split their sum over the OpenMP threads, so trained
  # weights repeat bit for bit for the same thread count, not across counts (3.4e-5 apart after 40 Adam steps).
  OMP_NUM_THREADS=1 "$JAVA" -Xmx2g -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G $MODULE_OPTS \
    -cp "$ROOT/conf:$APP_JAR:$(cat "$WORK/spark-cp.txt")" io.github.deconvspark.jobs.Main $job \
    --data "$WORK/mnist" --model "$WORK/small.net" --output "$WORK/$job-local" "${args[@]}" --master 'local[2]' spark.ui.enabled=false \
    > "$WORK/logs/$job-local.log" 2>&1
  # shellcheck disable=SC2086
  "$JAVA" $MODULE_OPTS -Xmx2g -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G \
    -cp "$SPARK_CP" org.apache.spark.deploy.SparkSubmit --master "spark://127.0.0.1:$MASTER_PORT" --deploy-mode client \
    --class io.github.deconvspark.jobs.Main --properties-file "$ROOT/conf/spark-defaults.conf" \
    --conf spark.executor.memory=1g --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false \
    "$APP_JAR" $job --data "$HDFS/mnist" --model "$HDFS/small.net" --output "$HDFS/$job" "${args[@]}" > "$WORK/logs/$job-cluster.log" 2>&1
  grep -E "^$job: " "$WORK/logs/$job-cluster.log" >&2
  "$JAVA" -cp "$IT_CP" io.github.deconvspark.it.Hdfs get "$HDFS/$job" "$WORK/$job-cluster"
  "$JAVA" -Xmx1g $MODULE_OPTS -cp "$IT_CP" io.github.deconvspark.it.CompareOutputs "$WORK/$job-local" - "$WORK/$job-cluster" - \
    2> "$WORK/logs/compare-$job.log"
done
test -f "$WORK/train-cluster/checkpoints/epoch-0002/state.bin" || { say "the cluster's train run wrote no checkpoint"; exit 1; }

say "executors that cannot load ND4J's natives: the job must stop early, saying why"
set +e
# shellcheck disable=SC2086
"$JAVA" $MODULE_OPTS -Xmx2g -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=8G \
  -cp "$SPARK_CP" org.apache.spark.deploy.SparkSubmit --master "spark://127.0.0.1:$MASTER_PORT" --deploy-mode client \
  --class io.github.deconvspark.jobs.Main --properties-file "$ROOT/conf/spark-defaults.conf" \
  --conf spark.executor.memory=1g --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false \
  --conf "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.platform=linux-arm64" \
  "$APP_JAR" visualize --input "$HDFS/photos" --model "$HDFS/model/gear.json" --output "$HDFS/out-nonative" "${SETTINGS[@]}" \
  > "$WORK/logs/nonative-run.log" 2>&1
rc=$?
set -e
[ $rc = 3 ] || { say "expected exit code 3 (natives), got $rc"; exit 1; }
grep -q "an executor cannot run the kernels: ND4J natives.*root cause: java.lang.UnsatisfiedLinkError" "$WORK/logs/nonative-run.log" \
  || { say "the message does not say that the executors cannot load the natives"; exit 1; }
grep -m1 "an executor cannot run the kernels" "$WORK/logs/nonative-run.log" | cut -c1-200 >&2
if "$JAVA" -cp "$IT_CP" io.github.deconvspark.it.Hdfs get "$HDFS/out-nonative" "$WORK/out-nonative" 2>/dev/null; then
  say "the failed job left an output"; exit 1
fi

say "fault test: the same job, one executor killed while it runs"
submit "$HDFS/out-fault" "$WORK/logs/fault-run.log" &
SUBMIT=$!
PIDS+=("$SUBMIT")
victim=""
for _ in $(seq 1 600); do
  if grep -q "executors: natives ok" "$WORK/logs/fault-run.log" 2>/dev/null; then       # the scan is starting
    victim=$(pgrep -f "CoarseGrainedExecutorBackend" | head -n 1 || true)
    [ -n "$victim" ] && break
  fi
  kill -0 "$SUBMIT" 2>/dev/null || break
  sleep 0.1
done
[ -n "$victim" ] || { say "no executor to kill (the job ended or never started)"; exit 1; }
sleep 3                                                   # in the middle of the scan (about 15 s here)
kill -0 "$SUBMIT" 2>/dev/null || { say "the job finished before the kill: the fault test would test nothing"; exit 1; }
kill -0 "$victim" 2>/dev/null || { say "executor $victim ended before the kill"; exit 1; }
kill -9 "$victim"
say "killed executor pid $victim while the job ran"
wait "$SUBMIT" || { say "the job failed after an executor was killed"; exit 1; }
grep -Eq "Lost executor|ExecutorLostFailure" "$WORK/logs/fault-run.log" || { say "Spark never noticed the lost executor"; exit 1; }
grep -E "Lost executor|ExecutorLostFailure" "$WORK/logs/fault-run.log" | head -n 2 | cut -c1-160 >&2
grep -E "^visualize:" "$WORK/logs/fault-run.log" >&2
compare "$HDFS/out-fault" fault-out
say "ok: cluster output and fault-test output equal the local run's"
