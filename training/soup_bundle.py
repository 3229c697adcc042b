#!/usr/bin/env python3
"""Write a clipsearch bundle whose image tower's weights are the weighted mean of several towers' weights.

Unlike ensemble_bundle.py, which runs every tower and averages their embeddings, this averages the weights
themselves into one tower of the same size and speed. That is only meaningful for towers that share their start:
a tower and its own fine-tune (train.py --init), as in WiSE-FT (Wortsman et al. 2022, "Robust fine-tuning of
zero-shot models"), where the interpolated weights keep what the starting tower knew and most of what the
fine-tune learnt. train.sh uses it for the default model: the first phase's tower and its 30-epoch second phase
through the memory, half and half (docs/model-experiments.md, "Averaging the weights of a tower and its fine-tune").

    /usr/bin/python3 training/soup_bundle.py --out OUT [--name NAME] [--weights 0.5,0.5] BUNDLE_DIR BUNDLE_DIR [...]

The bundles must be towers of one architecture (the same weight names and shapes) with the same preprocessing.
"""
import argparse
import json
import os
import sys

import torch

from ensemble_bundle import matching_manifests


def write_soup(out, sources, weights, name=None):
    """Writes to `out` the tower whose weights are sum(w_i * weights of sources[i]); exits where they do not fit."""
    manifests = matching_manifests(sources)
    towers = [torch.jit.load(os.path.join(src, m['image']['file'])).eval() for src, m in zip(sources, manifests)]
    states = [t.state_dict() for t in towers]
    for src, state in zip(sources[1:], states[1:]):
        if state.keys() != states[0].keys() or any(state[k].shape != states[0][k].shape for k in state):
            sys.exit(f'{src}: not the architecture of {sources[0]} (different weight names or shapes)')
    mixed = {}
    for key, first in states[0].items():
        if first.is_floating_point():
            mixed[key] = sum(w * state[key] for w, state in zip(weights, states))
        else:
            # integer buffers (batch norm's step count) are bookkeeping, not weights: the last tower's are kept
            mixed[key] = states[-1][key]
    soup = towers[0]
    soup.load_state_dict(mixed)
    os.makedirs(out, exist_ok=True)
    soup.save(os.path.join(out, manifests[0]['image']['file']))
    manifest = dict(manifests[0])
    manifest['name'] = name or '+'.join(m['name'] for m in manifests)
    # the temperature is a weight like the others
    manifest['logit_scale'] = round(sum(w * m['logit_scale'] for w, m in zip(weights, manifests)), 4)
    with open(os.path.join(out, 'clipsearch-model.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
    print('wrote', out, 'from', ', '.join(f'{w:g} × {m["name"]}' for w, m in zip(weights, manifests)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True, help='the bundle folder to write')
    ap.add_argument('--name', help="the bundle's name (default: the towers' names joined by +)")
    ap.add_argument('--weights', help='comma-separated, one per bundle, summing to 1 (default: equal)')
    ap.add_argument('bundles', nargs='+', help='the tower bundle folders, two or more')
    a = ap.parse_args()
    if len(a.bundles) < 2:
        ap.error('a weight average needs two or more bundles')
    if a.weights is None:
        weights = [1.0 / len(a.bundles)] * len(a.bundles)
    else:
        try:
            weights = [float(w) for w in a.weights.split(',')]
        except ValueError:
            ap.error(f'--weights {a.weights}: not comma-separated numbers')
        if len(weights) != len(a.bundles) or abs(sum(weights) - 1) > 1e-6 or min(weights) < 0:
            ap.error(f'--weights {a.weights}: give {len(a.bundles)} non-negative numbers summing to 1')
    write_soup(a.out, a.bundles, weights, a.name)


if __name__ == '__main__':
    main()
