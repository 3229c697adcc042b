#!/usr/bin/env bash
# TorchScript's graph executor optimiser on against off, for one model bundle, one fresh JVM per run (the slow state
# it can fall into lasts a JVM's life, so runs inside one JVM would not show it):
#
#   bench/run-graph-optimizer-bench.sh BUNDLE [PAIRS] [BATCH] [SECONDS]
#
# Alternates -Dai.djl.pytorch.graph_optimizer=true and =false PAIRS times (default 16) with EncoderBenchmark's
# image-model mode at one batch size (default 1) for SECONDS timed seconds each (default 2), prints one line per run
# (setting, batch, images/s, median ms a call) and, per setting, the runs whose median call took over 3 times the
# fastest run's: the slow state. Needs the bench jars: mvn -B -q -ntp -Pbench -pl bench -am package -DskipTests.
set -euo pipefail
bundle=${1:?usage: $0 BUNDLE [PAIRS] [BATCH] [SECONDS]}
pairs=${2:-16} batch=${3:-1} seconds=${4:-2}
cd "$(dirname "$0")/.."
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
out=$(mktemp)
line='\1 batch \2: \3 images\/s, median \4 ms'
for _ in $(seq "$pairs"); do
  for setting in true false; do
    "$JAVA_HOME/bin/java" -Dai.djl.pytorch.graph_optimizer=$setting --add-modules jdk.incubator.vector \
      --enable-native-access=ALL-UNNAMED -cp "bench/target/clipsearch-bench.jar:bench/target/lib/*" \
      org.clipsearch.bench.EncoderBenchmark "$bundle" --batches "$batch" --seconds "$seconds" --modes image-model 2>&1 \
      | grep '"bench"' | sed "s/^/$setting /" | tee -a "$out" \
      | sed -E 's/^([a-z]+) .*"batch":([0-9]+),"items_per_s":([0-9.]+).*"median_ms":([0-9.]+).*/'"$line"'/'
  done
done
awk '{ match($0, /"median_ms":[0-9.]+/); m = substr($0, RSTART + 12, RLENGTH - 12) + 0; s[NR] = $1; v[NR] = m
       if (min == "" || m < min) min = m }
     END { for (i = 1; i <= NR; i++) { n[s[i]]++; if (v[i] > 3 * min) slow[s[i]]++ }
           for (k in n) printf "graph_optimizer=%s: %d of %d runs slow (median call over 3x the fastest, %.1f ms)\n",
                               k, slow[k] + 0, n[k], 3 * min }' "$out"
rm -f "$out"
