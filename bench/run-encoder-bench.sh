#!/usr/bin/env bash
# Encoder throughput, Java (DJL + libtorch) against Python (torch), on this machine, with one command:
#
#   bench/run-encoder-bench.sh
#
# 1. exports a randomly initialised CLIP with ViT-B/32's shapes (image 224, patch 32, vision width 768, 12 layers,
#    12 heads; text width 512, 12 layers, 8 heads; embedding 512) with encoders/export/export_clip.py into
#    bench/target/encoder-bench/vit-b-32-random (once; REEXPORT=1 to redo) and builds its tokenizer.json from
#    OpenAI's BPE vocabulary;
# 2. builds the bench module (mvn -Pbench -pl bench -am package);
# 3. runs org.clipsearch.bench.EncoderBenchmark, then bench/encoder_bench.py, on the same bundle, batch sizes and
#    thread count, one after the other (BENCH_ROUNDS times);
# 4. prints a markdown table of images/s and texts/s with the Java/Python ratio (also written to
#    bench/target/encoder-bench/report.md, the raw points to java.jsonl and python.jsonl there, and to runs.txt how
#    busy other processes kept the machine during each run: numbers taken beside other work are not worth much).
#
# Needs: a JDK 21+ (JAVA_HOME, else /usr/lib/jvm/temurin-25-jdk-amd64 or another one in /usr/lib/jvm), Maven, and a
# Python with torch, numpy and Pillow. On Debian/Ubuntu the Python side is
#
#   apt-get install python3-torch libopenblas0-pthread python3-pil
#
# (Debian's python3-torch calls whatever libblas.so.3 is installed; libopenblas0-pthread makes that OpenBLAS rather
# than the unoptimised reference BLAS.) Run with that Python: PYTHON=/usr/bin/python3 (the default).
#
# Settings (environment):
#   PYTHON                 Python with torch (default /usr/bin/python3)
#   CLIP_BPE               OpenAI's bpe_simple_vocab_16e6.txt.gz (default ../shared/clip-reference/ beside the project)
#   BENCH_THREADS          intra-op threads for both sides (default: nproc)
#   BENCH_BATCHES          default 1,8,32
#   BENCH_SECONDS          minimum timed seconds per point (default 5)
#   BENCH_WARMUP_SECONDS   minimum warm-up seconds per point (default 2)
#   BENCH_MODES            default image,image-model,text
#   BENCH_ROUNDS           run Java then Python this many times (default 1); the table shows each side's best round
#                          and the range, for a machine that other work shares
#   BENCH_JAVA_OPTS        extra JVM options, e.g. -Dai.djl.pytorch.graph_optimizer=false
#   BENCH_PYTHON_ENV       extra environment for the Python run, e.g. "OMP_WAIT_POLICY=PASSIVE"
#   SKIP_BUILD=1           use the jars already in bench/target
#   REEXPORT=1             export the bundle again
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
out="$root/bench/target/encoder-bench"
bundle="$out/vit-b-32-random"
python="${PYTHON:-/usr/bin/python3}"
bpe="${CLIP_BPE:-$root/../shared/clip-reference/bpe_simple_vocab_16e6.txt.gz}"
threads="${BENCH_THREADS:-$(nproc)}"
batches="${BENCH_BATCHES:-1,8,32}"
seconds="${BENCH_SECONDS:-5}"
warmup="${BENCH_WARMUP_SECONDS:-2}"
modes="${BENCH_MODES:-image,image-model,text}"
rounds="${BENCH_ROUNDS:-1}"

java_major() { # the major version of the java binary $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
}
find_java_home() {
  local d v
  for d in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$d" ] && [ -x "$d/bin/java" ] || continue
    v="$(java_major "$d/bin/java")"
    if [ -n "$v" ] && [ "$v" -ge 21 ]; then echo "$d"; return; fi
  done
  echo "run-encoder-bench: no JDK 21 or newer found; set JAVA_HOME" >&2
  exit 3
}
JAVA_HOME="$(find_java_home)"
export JAVA_HOME

if ! "$python" -c 'import torch, numpy, PIL' 2>/dev/null; then
  echo "run-encoder-bench: $python lacks torch, numpy or Pillow. On Debian/Ubuntu:" >&2
  echo "  apt-get install python3-torch libopenblas0-pthread python3-pil   (then PYTHON=/usr/bin/python3)" >&2
  exit 3
fi
if [ ! -f "$bpe" ]; then
  echo "run-encoder-bench: OpenAI's BPE vocabulary not found at $bpe; set CLIP_BPE" >&2
  exit 3
fi

mkdir -p "$out"
cd "$root"

# 1. the model
if [ -n "${REEXPORT:-}" ] || [ ! -f "$bundle/clipsearch-model.json" ]; then
  echo "== exporting a random ViT-B/32-sized CLIP to $bundle" >&2
  rm -rf "$bundle"
  "$python" encoders/export/export_clip.py --source random-vit --name random-vit-b-32 --out "$bundle" \
    --image-size 224 --patch-size 32 --vision-width 768 --vision-layers 12 --vision-heads 12 \
    --text-width 512 --text-layers 12 --text-heads 8 --embed-dim 512 --seed 0 >&2
fi

# 2. the build
if [ -z "${SKIP_BUILD:-}" ] || [ ! -f bench/target/clipsearch-bench.jar ]; then
  echo "== building the bench module" >&2
  mvn -q -B -Pbench -DskipTests -pl bench -am package >&2
fi
java_flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
  -Dai.djl.offline=true -DOPT_OUT_TRACKING=true)
classpath="bench/target/clipsearch-bench.jar:bench/target/lib/*"
export DJL_OFFLINE=true OPT_OUT_TRACKING=true

if [ -n "${REEXPORT:-}" ] || [ ! -f "$bundle/tokenizer.json" ]; then
  "$JAVA_HOME/bin/java" "${java_flags[@]}" -cp "$classpath" org.clipsearch.encoders.ClipBpeTokenizerJson \
    "$bpe" "$bundle/tokenizer.json"
fi

cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
echo "== machine: $(nproc) CPUs ($cpu); threads $threads; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
rm -f "$out"/java*.jsonl "$out"/python*.jsonl "$out/runs.txt"

# Other work on the machine skews the numbers (badly so with 2 threads on 2 CPUs), and the load average counts the
# benchmark itself; so each run records the CPU time the rest of the machine used meanwhile: all CPU time in
# /proc/stat less the benchmark's own (this shell's waited-for children), per second of the run.
machine_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
own_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }
start_run() { run_start=$(date +%s.%N); machine_start=$(machine_ticks); own_start=$(own_ticks); }
end_run() { # $1 label: appends "label load-at-start other-CPUs" to runs.txt
  local other
  other=$(awk -v m0="$machine_start" -v m1="$(machine_ticks)" -v o0="$own_start" -v o1="$(own_ticks)" \
    -v t0="$run_start" -v t1="$(date +%s.%N)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { v = ((m1 - m0) - (o1 - o0)) / hz / (t1 - t0); printf "%.2f", v < 0 ? 0 : v }')
  echo "$1 $run_load $other" >>"$out/runs.txt"
  echo "   (other work on the machine meanwhile: $other CPUs on average)" >&2
}

# 3. Java, then Python, $rounds times
for round in $(seq 1 "$rounds"); do
  run_load="$(cut -d' ' -f1 /proc/loadavg)"
  echo "== round $round/$rounds: Java (DJL); load $run_load" >&2
  start_run
  # shellcheck disable=SC2086
  "$JAVA_HOME/bin/java" "${java_flags[@]}" -Dai.djl.pytorch.num_threads="$threads" ${BENCH_JAVA_OPTS:-} \
    -cp "$classpath" org.clipsearch.bench.EncoderBenchmark "$bundle" --batches "$batches" --seconds "$seconds" \
    --warmup-seconds "$warmup" --modes "$modes" --json "$out/java-$round.jsonl" 2>"$out/java.log" \
    | grep -v '^{' >&2 ||
    { echo "run-encoder-bench: the Java benchmark failed; the end of $out/java.log:" >&2; tail -n 30 "$out/java.log" >&2
      exit 1; }
  end_run "java-$round"
  cat "$out/java-$round.jsonl" >>"$out/java.jsonl"

  run_load="$(cut -d' ' -f1 /proc/loadavg)"
  echo "== round $round/$rounds: Python (torch); load $run_load" >&2
  start_run
  # shellcheck disable=SC2086
  env ${BENCH_PYTHON_ENV:-} "$python" bench/encoder_bench.py "$bundle" --threads "$threads" \
    --batches "$batches" --seconds "$seconds" --warmup-seconds "$warmup" --modes "$modes" \
    --json "$out/python-$round.jsonl" >/dev/null
  end_run "python-$round"
  cat "$out/python-$round.jsonl" >>"$out/python.jsonl"
done

# 4. the table: per point, the best round of each side (the least disturbed by other work on the machine)
"$python" - "$out" "$threads" "$cpu" "${BENCH_JAVA_OPTS:-}" "${BENCH_PYTHON_ENV:-}" <<'EOF' | tee "$out/report.md"
import json, os, sys
out, threads, cpu, java_opts, python_env = sys.argv[1:6]
def read(path):
    points = {}
    with open(path, encoding="utf-8") as f:
        for p in map(json.loads, filter(str.strip, f)):
            points.setdefault((p["mode"], p["batch"]), []).append(p)
    return points
java, python = read(os.path.join(out, "java.jsonl")), read(os.path.join(out, "python.jsonl"))
rounds = max(len(v) for v in java.values())
with open(os.path.join(out, "runs.txt"), encoding="utf-8") as f:
    runs = [line.split() for line in f if line.strip()]
some_java = next(iter(java.values()))[0]
some_python = next(iter(python.values()))[0]
label = {"image": "images/s, 640×480 RGB → preprocess + model",
         "image-model": "images/s, model only",
         "text": "texts/s"}
print("%s on %d CPUs (%s), %s intra-op threads on each side. Java: DJL, libtorch %s (%s%s). Python: torch %s (%s%s)."
      % (some_java["model"], os.cpu_count(), cpu, threads, some_java["libtorch"], some_java["threads"],
         "; " + java_opts if java_opts else "", some_python["torch"], some_python["threads"],
         "; " + python_env if python_env else ""))
print("%s. Other work on the machine during each run, in CPUs on average (and the 1-minute load average at its "
      "start): %s."
      % ("%d rounds, Java then Python in each; each cell is the best round, the range over all rounds in brackets"
         % rounds if rounds > 1 else "One round: Java, then Python",
         "; ".join("%s %s (%s)" % (name, other, load) for name, load, other in runs)))
print()
print("| measure | batch | Java | Python | Java / Python |")
print("| --- | ---: | ---: | ---: | ---: |")
def cell(points):
    values = sorted(p["items_per_s"] for p in points)
    text = "%.2f" % values[-1]
    if len(values) > 1:
        text += " (%.2f–%.2f)" % (values[0], values[-1])
    return values[-1], text
for (mode, batch), j in java.items():
    p = python.get((mode, batch))
    if p is None:
        continue
    best_j, text_j = cell(j)
    best_p, text_p = cell(p)
    print("| %s | %d | %s | %s | %.2f |" % (label.get(mode, mode), batch, text_j, text_p, best_j / best_p))
print()
print("The same from the fastest single batch%s (batch / its time): the least disturbed by other work, an optimistic "
      "bound." % (" of all rounds" if rounds > 1 else ""))
print()
print("| measure | batch | Java | Python | Java / Python |")
print("| --- | ---: | ---: | ---: | ---: |")
for (mode, batch), j in java.items():
    p = python.get((mode, batch))
    if p is None:
        continue
    fastest_j = max(batch * 1000.0 / x["min_ms"] for x in j)
    fastest_p = max(batch * 1000.0 / x["min_ms"] for x in p)
    print("| %s | %d | %.2f | %.2f | %.2f |" % (label.get(mode, mode), batch, fastest_j, fastest_p,
                                              fastest_j / fastest_p))
EOF
