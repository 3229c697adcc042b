#!/usr/bin/env bash
# Short, equal-time training runs that measure one lever each against the same baseline
# (docs/model-experiments.md, "Levers measured"). Each run trains from scratch for MINUTES of wall time (default 10) on
# the dataset that train.sh built, then prints its held-out evaluation (Python, 64 px views; the model card's main
# numbers come from the Java encoders).
# The levers are measured against the recipe of v2 (no composites, no weight average), as the table in
# docs/model-experiments.md was (weight decay 0.05 included, no caption bank); train.py's defaults are v17's since.
#   training/ablations.sh [MINUTES] [RUN...]
# runs: baseline emoji-all-title-uniform no-emoji deeper input-80 hue average recolour composite bank (default: all)
# Runs are time-capped, so their step counts depend on the machine; run them on an otherwise idle machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
minutes="${1:-10}"
shift || true
runs=("$@")
[[ ${#runs[@]} -gt 0 ]] || runs=(baseline emoji-all-title-uniform no-emoji deeper input-80 hue average recolour composite bank)
out=training/work/ablations
mkdir -p "$out"
for run in "${runs[@]}"; do
  case "$run" in
    baseline) extra=() ;;                                             # v2's recipe
    emoji-all-title-uniform) extra=(--emoji-share -1 --title-prob 0) ;; # the first shipped model's data mix
    no-emoji) extra=(--emoji-share 0) ;;                              # openclipart only
    deeper) extra=(--depths 1,2,2,2) ;;                               # 3.0M parameters instead of 1.75M
    input-80) extra=(--size 80) ;;                                    # 80 px input (the stored resolution)
    hue) extra=(--hue-prob 0.3) ;;                                    # hues turned where captions name no colour
    average) extra=(--ema 0.999) ;;                                   # export the weights' moving average
    recolour) extra=(--recolour-prob 0.3) ;;                          # one-hued images turned to a named colour
    composite) extra=(--composite-prob 0.15) ;;                       # two images side by side, both named
    bank) extra=(--bank-negatives 8192) ;;                            # 8,192 drawn captions as extra negatives
    *) echo "unknown run: $run" >&2; exit 2 ;;
  esac
  echo "[$(date +%H:%M:%S)] $run: ${extra[*]:-defaults}"
  /usr/bin/python3 training/train.py --epochs 1000 --minutes "$minutes" --out "$out/$run-model" \
    --checkpoint "$out/$run-checkpoint.pt" --composite-prob 0 --ema 0 --wd 0.05 --bank-negatives 0 "${extra[@]}" \
    > "$out/$run.log" 2>&1
  grep '^summary' "$out/$run.log" | /usr/bin/python3 -c \
    'import json,sys; s=json.loads(sys.stdin.read()[8:]); e=s["final_eval"]; print("  steps %d  R@10 %.3f  object top-1 %.3f  category top-1 %.3f" % (s["steps"], e["R@10"], e["obj_top1"], e["cat_top1"]))'
done
