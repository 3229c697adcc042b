#!/usr/bin/env bash
# Web load test (issue #6): text search over HTTP against an index of synthetic images while an indexer writes into
# it, from a second process on loopback, at several concurrency levels.
#
#   bench/run-web-load.sh [IMAGES] [SECONDS] [WARMUP_SECONDS]      (defaults: 100000 30 10)
#
# 1. builds the bench module (mvn -Pbench -pl bench -am package; nothing is installed into ~/.m2);
# 2. starts org.clipsearch.bench.WebLoadServer: it writes an index of IMAGES synthetic images (clustered 384-d unit
#    vectors under the default model's identity, plausible paths, sizes, dates, a tiny thumbnail) into
#    bench/target/web-load/index-IMAGES once and reuses it later, starts the real web server on 127.0.0.1 with the
#    default model (so every query runs the real text encoder), and keeps writing new images into the same index
#    (WEB_LOAD_WRITE_RATE images/s, a commit every WEB_LOAD_COMMIT_MS);
# 3. runs org.clipsearch.bench.WebLoadClient in a second JVM: closed-loop GET /api/search?q=...&k=20 over 400
#    distinct queries at each concurrency level, WARMUP_SECONDS not counted, then SECONDS measured;
# 4. stops the server and prints a markdown table (also in bench/target/web-load/report.md; one JSON line per level
#    in levels.jsonl, the server's log in server.log).
#
# Settings (environment):
#   WEB_LOAD_CONCURRENCY   default 1,8,32
#   WEB_LOAD_WRITE_RATE    images/s the writer adds while the load runs (default 100; 0 for none)
#   WEB_LOAD_COMMIT_MS     the writer commits this often (default 1000)
#   WEB_LOAD_QUERIES       distinct queries, at most 560 (default 400)
#   WEB_LOAD_INDEX         the index folder (default bench/target/web-load/index-IMAGES)
#   WEB_LOAD_SERVER_HEAP   the server's -Xmx (default 2g)
#   WEB_LOAD_CLIENT_HEAP   the client's -Xmx (default 512m)
#   WEB_LOAD_SERVER_OPTS   extra JVM options for the server
#   MVN_ARGS               extra Maven arguments, e.g. -o to build offline
#   SKIP_BUILD=1           use the jars already in bench/target
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
images="${1:-100000}"
seconds="${2:-30}"
warmup="${3:-10}"
out="$root/bench/target/web-load"
index="${WEB_LOAD_INDEX:-$out/index-$images}"
concurrency="${WEB_LOAD_CONCURRENCY:-1,8,32}"
write_rate="${WEB_LOAD_WRITE_RATE:-100}"
commit_ms="${WEB_LOAD_COMMIT_MS:-1000}"
queries="${WEB_LOAD_QUERIES:-400}"

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
  echo "run-web-load: no JDK 21 or newer found; set JAVA_HOME" >&2
  exit 3
}
JAVA_HOME="$(find_java_home)"
export JAVA_HOME

cd "$root"
mkdir -p "$out"
if [ -z "${SKIP_BUILD:-}" ] || [ ! -f bench/target/clipsearch-bench.jar ]; then
  echo "== building the bench module" >&2
  # shellcheck disable=SC2086
  mvn -q -B ${MVN_ARGS:-} -Pbench -DskipTests -pl bench -am package >&2
fi

# Offline, no tracking probe, the launcher's cache: nothing is downloaded (as bin/clipsearch runs).
cache="${CLIPSEARCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/clipsearch}"
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
java_flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
  -Dai.djl.offline=true -DOPT_OUT_TRACKING=true -DDJL_CACHE_DIR="$cache/djl" -DENGINE_CACHE_DIR="$cache/djl"
  -Dclipsearch.cache.dir="$cache")
classpath="bench/target/clipsearch-bench.jar:bench/target/lib/*"

rm -f "$out/levels.jsonl" "$out/report.md" "$out/server.out"
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
echo "== machine: $(nproc) CPUs ($cpu), $(free -g | awk '/^Mem:/{print $2}') GB; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "== server: $images images in $index, writer $write_rate images/s, commit every $commit_ms ms" >&2

server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
}
trap stop_server EXIT

# shellcheck disable=SC2086
"$JAVA_HOME/bin/java" -Xmx"${WEB_LOAD_SERVER_HEAP:-2g}" "${java_flags[@]}" ${WEB_LOAD_SERVER_OPTS:-} -cp "$classpath" \
  org.clipsearch.bench.WebLoadServer "$index" --images "$images" --write-rate "$write_rate" --commit-ms "$commit_ms" \
  >"$out/server.out" 2>"$out/server.log" &
server_pid=$!

# Wait for the ready line (writing a new index of 100,000 images takes minutes).
while ! grep -q '"event":"ready"' "$out/server.out" 2>/dev/null; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "run-web-load: the server stopped before it was ready; the end of $out/server.log:" >&2
    tail -n 30 "$out/server.log" >&2
    exit 1
  fi
  sleep 1
done
ready="$(grep '"event":"ready"' "$out/server.out" | head -n1)"
port="$(sed 's/.*"port":\([0-9]*\).*/\1/' <<<"$ready")"
control="$(sed 's/.*"control_port":\([0-9]*\).*/\1/' <<<"$ready")"
echo "== server ready: $ready" >&2

# CPU the rest of the machine used during the client's run: all busy time in /proc/stat less the server's (its
# /proc/PID/stat) and the client's (this shell's waited-for children).
machine_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
pid_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
children_ticks() { awk '{print $16 + $17}' "/proc/$$/stat"; }
m0=$(machine_ticks); s0=$(pid_ticks "$server_pid"); c0=$(children_ticks); t0=$(date +%s.%N)
load_start="$(cut -d' ' -f1 /proc/loadavg)"

"$JAVA_HOME/bin/java" -Xmx"${WEB_LOAD_CLIENT_HEAP:-512m}" -cp "$classpath" org.clipsearch.bench.WebLoadClient \
  "http://127.0.0.1:$port/" "http://127.0.0.1:$control/" --concurrency "$concurrency" --seconds "$seconds" \
  --warmup-seconds "$warmup" --k 20 --queries "$queries" --json "$out/levels.jsonl" --markdown "$out/table.md" \
  >/dev/null

other=$(awk -v m0="$m0" -v m1="$(machine_ticks)" -v s0="$s0" -v s1="$(pid_ticks "$server_pid")" -v c0="$c0" \
  -v c1="$(children_ticks)" -v t0="$t0" -v t1="$(date +%s.%N)" -v hz="$(getconf CLK_TCK)" \
  'BEGIN { v = ((m1 - m0) - (s1 - s0) - (c1 - c0)) / hz / (t1 - t0); printf "%.2f", v < 0 ? 0 : v }')

curl -s -X POST "http://127.0.0.1:$control/stop" >/dev/null 2>&1 || true
for _ in $(seq 30); do kill -0 "$server_pid" 2>/dev/null || break; sleep 1; done
stop_server

{
  echo "$images synthetic images ($(sed 's/.*"segments":\([0-9]*\).*/\1/' <<<"$ready") segments at the start), \
default model, writer $write_rate images/s with a commit every $commit_ms ms; $warmup s warm-up and $seconds s \
measured per level; $(nproc) CPUs ($cpu). Other work on the machine during the run: $other CPUs on average \
(load average $load_start at the start)."
  echo
  cat "$out/table.md"
} | tee "$out/report.md"
