#!/usr/bin/env bash
# Vector search, Lucene HNSW (float, and scalar-quantized with and without exact re-ranking) against brute force in
# Java, hnswlib and FAISS, on the same clustered synthetic vectors, one after the other, with one command:
#
#   bench/run-vector-bench.sh N DIM [FORMATS] [PEERS]
#   bench/run-vector-bench.sh 1000000 384 float,int7 hnswlib
#   bench/run-vector-bench.sh 100000 512 float,int7,int4 hnswlib,faiss
#
# Writes the vectors, queries and exact neighbours to bench/target/vector-bench/N-DIM/ (VectorSearchBenchmark), runs
# bench/ann_peers.py on the same files, and prints a markdown table (also in report.md there; raw JSON lines in
# lucene.jsonl and peers.jsonl, and in load.txt how busy the rest of the machine was: a number taken beside other work
# is not worth much). Needs a JDK 21+ and Debian's python3-hnswlib and python3-faiss (/usr/bin/python3).
#
# Settings (environment): HEAP (default 8g), SKIP_BUILD=1 (use the jars already in bench/target).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=${1:?usage: bench/run-vector-bench.sh N DIM [FORMATS] [PEERS]}
dim=${2:?usage: bench/run-vector-bench.sh N DIM [FORMATS] [PEERS]}
formats=${3:-float,int7,int4}
peers=${4:-hnswlib,faiss}
out="bench/target/vector-bench/$n-$dim"
JAVA_HOME=${JAVA_HOME:-$(bin/java-home)}
export JAVA_HOME
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  mvn -q -B -Pbench -pl bench -am package -DskipTests
fi
rm -rf "$out"
mkdir -p "$out"
cpu_busy() { # jiffies spent by everything but this benchmark's processes is hard to isolate; total busy is shown
  awk '/^cpu /{print $2+$3+$4+$7+$8, $5+$6}' /proc/stat
}
read -r busy0 idle0 < <(cpu_busy)
start=$(date +%s)
"$JAVA_HOME/bin/java" -Xmx"${HEAP:-8g}" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "bench/target/clipsearch-bench.jar:bench/target/lib/*" \
  org.clipsearch.bench.VectorSearchBenchmark "$n" "$dim" "$out" "$formats" | tee "$out/lucene.jsonl"
/usr/bin/python3 bench/ann_peers.py "$out" "$peers" | tee "$out/peers.jsonl"
read -r busy1 idle1 < <(cpu_busy)
echo "$(( $(date +%s) - start )) s wall; CPU busy $(( 100 * (busy1 - busy0) / (busy1 - busy0 + idle1 - idle0) ))% of" \
  "$(nproc) cores (this benchmark uses one core while timing queries, all while building)" > "$out/load.txt"
rm -f "$out"/*.fvecs "$out"/*.ivecs  # large; remade on the next run
rm -rf "$out"/lucene-*
/usr/bin/python3 - "$out" <<'PY' | tee "$out/report.md"
import json, sys
out = sys.argv[1]
rows = [json.loads(l) for f in ("lucene.jsonl", "peers.jsonl") for l in open(f"{out}/{f}") if l.startswith("{")]
n, dim = rows[0]["n"], rows[0]["dim"]
print(f"{n:,} vectors of {dim} dimensions; {open(out + '/load.txt').read().strip()}\n")
print("| engine | candidates | recall@10 | queries/s | p50 ms | p99 ms | build s |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    build = r.get("build_s", "-")
    print(f"| {r['engine']} | {r.get('candidates', '-')} | {r['recall']:.4f} | {r['qps']:.0f} | {r['p50_ms']:.3f} |"
          f" {r['p99_ms']:.3f} | {build} |")
PY
