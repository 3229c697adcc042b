#!/usr/bin/env bash
# One command for clipsearch's default model: fetch -> build dataset -> embed captions (Java) -> train -> a second
# phase through the memory, its weights averaged with the first's (soup_bundle.py) -> add the memory of the training
# captions (memory_bundle.py) -> bundle.
#   training/train.sh            full run (CPU, 2 cores: see training/README.md for timings); writes the bundle to
#                                encoders/src/main/resources/org/clipsearch/models/default/ and the tower alone to
#                                training/work/tower/
#   training/train.sh --quick    smoke test: tiny subset, a few steps; bundle goes to training/work/quick-model/
#   training/train.sh --members N   trains N image towers (seeds 1234, 1235, ...) and averages their embeddings
#                                (training/ensemble_bundle.py) before the memory; each member gets 180/N epochs and a
#                                100/N-minute cap, so that the whole stays within the 2-hour budget
#   training/train.sh --cycles 2   one tower, its cosine schedule run twice; the towers at both cycle ends are
#                                averaged like --members's (a snapshot ensemble within one run's budget)
# Extra arguments after the mode are passed to train.py's first phase (e.g. --epochs 10); --out, --name and --seed
# are the bundle's (with --members, the members get their own under training/work/). The second phase runs for one
# tower only (not with --members or --cycles, whose towers average embeddings and cannot be trained on).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
PY=/usr/bin/python3          # Debian's interpreter: python3-torch, python3-numpy, python3-pil (python3-cairosvg optional)
install_line="apt-get install -y python3-torch python3-numpy python3-pil python3-cairosvg libopenblas0-pthread"
# Say what is missing before minutes of fetching, not when Python first fails at the training step.
if ! missing=$($PY -c 'import importlib.util as u; print(" ".join(m for m in ("torch", "numpy", "PIL") if u.find_spec(m) is None))' 2>&1); then
  echo "train.sh: cannot run $PY: $missing" >&2
  exit 1
elif [[ -n "$missing" ]]; then
  echo "train.sh: $PY lacks the modules $missing; as root: $install_line" >&2
  exit 1
fi
if ! $PY -c 'import cairosvg' 2>/dev/null; then
  echo "train.sh: warning: no python3-cairosvg; the ~20 openclipart PNGs over 40 megapixels will be skipped" >&2
fi
if ! ldconfig -p 2>/dev/null | grep -q libopenblas; then
  echo "train.sh: warning: no OpenBLAS (libopenblas0-pthread); Debian's torch falls back to the far slower reference BLAS" >&2
fi
mode=full
if [[ "${1:-}" == "--quick" ]]; then mode=quick; shift; fi
members=1
if [[ "${1:-}" == "--members" ]]; then
  members="${2:?--members needs a number}"; shift 2
  if ! [[ "$members" =~ ^[1-9]$ ]]; then echo "train.sh: --members takes 1 to 9, not $members" >&2; exit 2; fi
fi

stamp() { echo "[$(date +%H:%M:%S)] $*"; }
stamp "fetch"
training/fetch_data.sh

if [[ $mode == quick ]]; then
  data=training/work/quick
  stamp "build dataset (quick)"
  $PY training/build_dataset.py --quick --out "$data"
else
  data=training/work/dataset
  stamp "build dataset"
  $PY training/build_dataset.py --out "$data"
fi

# Caption embeddings from the Java text encoder (frozen MiniLM, 384-d); redone only when captions.txt changed.
if [[ ! -f "$data/captions.f32" || "$data/captions.txt" -nt "$data/captions.f32" ]]; then
  stamp "embed $(wc -l < "$data/captions.txt") captions with bin/clipsearch"
  bin/clipsearch encode --model classpath:org/clipsearch/models/minilm-l6-v2 \
    --texts-file "$data/captions.txt" --out "$data/captions.f32.tmp" --batch 128
  mv "$data/captions.f32.tmp" "$data/captions.f32"
fi

stamp "train"
# The bundle's own --out, --name and --seed are taken out of the arguments; the rest go to train.py (every member's).
if [[ $mode == quick ]]; then
  out=training/work/quick-model name=clipsearch-quick
else
  out=encoders/src/main/resources/org/clipsearch/models/default name=clipsearch-default-v29
fi
seed=1234 pass=()
while (($#)); do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) pass+=("$1"); shift ;;
  esac
done
if [[ $mode == quick ]]; then
  # a few steps of each member, to check the whole path in a minute
  work=training/work/quick- single=(--epochs 1 --max-steps 30 --eval-every 15) per_member=("${single[@]}")
  second=("${single[@]}")
else
  # --minutes caps the training wall time (2-hour budget on a 2-core machine, the second phase's 20 minutes
  # included); on an idle machine the epochs finish well before it (83 minutes), and the run is then step-for-step
  # deterministic. Members share the budget.
  work=training/work/ single=(--minutes 90) per_member=(--epochs $((180 / members)) --minutes $((100 / members)))
  second=(--epochs 30)
fi
# The second phase: 30 more epochs from the first phase's tower at a quarter of its learning rate, the last third of
# them with the loss also taken through the memory (train.py --memory-alpha), beside the plain loss. Its tower
# names the top-level categories far better and the issue's objects and titles a little worse; the mean of its
# weights and the first phase's keeps the categories and the rest ("Averaging the weights of a tower and its
# fine-tune" in docs/model-experiments.md).
second+=(--lr 5e-4 --memory-alpha 0.5 --memory-plain 1 --memory-from 0.67)
two_phases=1
if [[ $members != 1 || " ${pass[*]} " == *" --cycles "* ]]; then two_phases=0; fi
# The trained tower (or the members' average) is kept as a bundle of its own under training/work/, so that it can
# be measured without the memory; the bundle at --out is the tower with its memory of the training captions.
tower=${work}tower
if [[ $members == 1 ]]; then
  first=$tower first_name=$name-tower
  if [[ $two_phases == 1 ]]; then first=${work}tower-phase1 first_name=$name-phase1; fi
  # the --checkpoint given stays last, so that it is the one train.py takes
  $PY training/train.py --data "$data" "${single[@]}" --seed "$seed" --out "$first" \
    --checkpoint "${work}checkpoint.pt" --name "$first_name" "${pass[@]}"
  if [[ $two_phases == 1 ]]; then
    stamp "second phase: from the first phase's tower, through the memory for its last third"
    $PY training/train.py --data "$data" --init "$first" "${second[@]}" --seed "$seed" --out "${work}tower-phase2" \
      --checkpoint "${work}checkpoint-phase2.pt" --name "$name-phase2"
    stamp "average the two phases' weights"
    $PY training/soup_bundle.py --out "$tower" --name "$name-tower" "$first" "${work}tower-phase2"
  fi
else
  member_dirs=()
  for ((i = 1; i <= members; i++)); do
    dir=${work}member-$i
    stamp "train member $i of $members (seed $((seed + i - 1)))"
    $PY training/train.py --data "$data" "${per_member[@]}" "${pass[@]}" --seed $((seed + i - 1)) --out "$dir" \
      --checkpoint "${work}checkpoint-member-$i.pt" --name "clipsearch-member-$i"
    member_dirs+=("$dir")
  done
  stamp "package the ensemble"
  $PY training/ensemble_bundle.py --out "$tower" --name "$name-tower" "${member_dirs[@]}"
fi
stamp "add the memory of the training captions"
$PY training/memory_bundle.py --data "$data" --out "$out" --name "$name" "$tower"
stamp "done"
