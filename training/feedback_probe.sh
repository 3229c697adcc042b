#!/usr/bin/env bash
# Embeds the held-out title queries and images with the Java encoders and runs feedback_probe.py on them.
#   training/feedback_probe.sh [MODEL]      (default: the embedded model; needs training/work/holdout-images)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
labels=training/eval/holdout-labels.jsonl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=()
if [[ -n "${1:-}" ]]; then model=(--model "$1"); fi
/usr/bin/python3 -c '
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
open(sys.argv[2] + "/queries.txt", "w").write("".join(r["query"] + "\n" for r in rows))
open(sys.argv[2] + "/images.txt", "w").write("".join("training/work/holdout-images/" + r["path"] + "\n" for r in rows))
' "$labels" "$work"
# one query at a time, as evaluate embeds them (the int8 text tower's numbers depend a little on the batch)
# (the encoder's progress goes to a log, shown only if it fails)
bin/clipsearch encode "${model[@]}" --texts-file "$work/queries.txt" --out "$work/queries.f32" --batch 1 \
  >/dev/null 2>"$work/encode.log" || { cat "$work/encode.log" >&2; exit 1; }
xargs -a "$work/images.txt" -d '\n' bin/clipsearch encode "${model[@]}" --batch 32 \
  >"$work/images.jsonl" 2>"$work/encode.log" || { cat "$work/encode.log" >&2; exit 1; }
/usr/bin/python3 training/feedback_probe.py --labels "$labels" "$work/queries.f32" "$work/images.jsonl"
