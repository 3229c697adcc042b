#!/usr/bin/env python3
"""Write a clipsearch bundle whose image tower averages the embeddings of several trained image towers.

Every image tower trained here maps images into the same frozen text space (LiT), so towers from separate runs can
be averaged without any further training: each is a different estimate of where an image belongs in that space.
This script exists so that the measures of such ensembles can be rerun (docs/model-experiments.md); the result is
evaluated with `bin/clipsearch evaluate --model OUT ...`.

    /usr/bin/python3 training/ensemble_bundle.py --out OUT [--name NAME] BUNDLE_DIR BUNDLE_DIR [BUNDLE_DIR ...]

All bundles must share their image preprocessing (size, resize, mean and std), since the encoder prepares an image
once for the whole ensemble; the script refuses bundles that do not.
"""
import argparse
import json
import os
import sys
from typing import List

import torch
import torch.nn.functional as F

PREPROCESSING_KEYS = ('size', 'resize_mode', 'interpolation', 'mean', 'std')


class EmbeddingAverage(torch.nn.Module):
    def __init__(self, towers):
        super().__init__()
        self.towers = torch.nn.ModuleList(towers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        # each tower's embedding normalised first, so that none outweighs the others; the encoder normalises the sum
        embeddings: List[torch.Tensor] = [F.normalize(tower(image), dim=-1) for tower in self.towers]
        return torch.stack(embeddings).sum(0)


def matching_manifests(sources):
    """The manifests of the bundles in `sources`; exits with a message where their preprocessing or text differ."""
    manifests = [json.load(open(os.path.join(src, 'clipsearch-model.json'))) for src in sources]
    first = manifests[0]
    for src, manifest in zip(sources, manifests):
        for key in PREPROCESSING_KEYS:
            if manifest['image'].get(key) != first['image'].get(key):
                sys.exit(f'{src}: image {key} {manifest["image"].get(key)} differs from {first["image"].get(key)}')
        if manifest['embedding_dim'] != first['embedding_dim'] or manifest['text'] != first['text']:
            sys.exit(f'{src}: a different text tower or embedding size; its images live in another space')
    return manifests


def write_ensemble(out, sources, name=None):
    """Writes to `out` a bundle averaging the bundles in `sources`; exits with a message where they do not match."""
    manifests = matching_manifests(sources)
    first = manifests[0]
    towers = [torch.jit.load(os.path.join(src, m['image']['file'])).eval() for src, m in zip(sources, manifests)]
    ensemble = torch.jit.script(EmbeddingAverage(towers))
    # a check that the scripted ensemble is what it claims: the mean direction of its members on random input
    probe = torch.randn(4, 3, *first['image']['size'])
    with torch.no_grad():
        expected = F.normalize(sum(F.normalize(t(probe), dim=-1) for t in towers), dim=-1)
        got = F.normalize(ensemble(probe), dim=-1)
    if (expected - got).abs().max() > 1e-5:
        sys.exit('the scripted ensemble does not reproduce its members')
    os.makedirs(out, exist_ok=True)
    ensemble.save(os.path.join(out, first['image']['file']))
    manifest = dict(first)
    manifest['name'] = name or '+'.join(m['name'] for m in manifests)
    # the learned temperatures differ per run; their mean keeps classification scores on the members' scale
    manifest['logit_scale'] = round(sum(m['logit_scale'] for m in manifests) / len(manifests), 4)
    with open(os.path.join(out, 'clipsearch-model.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
    print('wrote', out, 'from', ', '.join(m['name'] for m in manifests))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', required=True, help='the bundle folder to write')
    ap.add_argument('--name', help="the bundle's name (default: the members' names joined by +)")
    ap.add_argument('bundles', nargs='+', help='the member bundle folders, two or more')
    a = ap.parse_args()
    if len(a.bundles) < 2:
        ap.error('an ensemble needs two or more bundles')
    write_ensemble(a.out, a.bundles, a.name)


if __name__ == '__main__':
    main()
