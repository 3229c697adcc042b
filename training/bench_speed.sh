#!/usr/bin/env bash
# Training throughput of train.py with and without its two speed settings (docs/benchmarks.md, "Training the default
# model"): NCHW against channels-last weights and batches, OpenBLAS's default thread spinning (2^28 cycles) against
# OPENBLAS_THREAD_TIMEOUT=4, each with and without the caption bank. Every configuration is one run of STEPS steps
# (default 150) on the dataset that train.sh built, one after another; run it on an otherwise idle machine.
#   training/bench_speed.sh [STEPS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
steps="${1:-150}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "train.py, $steps steps of 128 per configuration, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
for bank in 8192 0; do
  for setting in "0 28" "1 28" "1 4"; do
    read -r channels_last timeout <<< "$setting"
    OPENBLAS_THREAD_TIMEOUT=$timeout /usr/bin/python3 training/train.py --max-steps "$steps" --eval-every 100000 \
      --bank-negatives "$bank" --channels-last "$channels_last" --out "$out/model" --checkpoint "$out/ck.pt" \
      --name bench > "$out/log" 2>&1
    rate=$(sed -n -E "s|^step $steps/$steps .* ([0-9]+) img/s .*|\1|p" "$out/log")
    printf 'bank %5d  channels-last %d  OPENBLAS_THREAD_TIMEOUT %2d  %s images/s\n' "$bank" "$channels_last" \
      "$timeout" "${rate:?no rate in the log: $(tail -3 "$out/log")}"
  done
done
