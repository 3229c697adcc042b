#!/usr/bin/env python3
"""Write a copy of a clipsearch bundle whose image tower averages each image's embedding with its mirror image's.

Test-time flipping is a common cheap gain for image models; this script exists so that the model card's measure of it
can be rerun (docs/model.md): the copy is evaluated with `bin/clipsearch evaluate --model OUT ...`.

    /usr/bin/python3 training/flip_bundle.py encoders/src/main/resources/org/clipsearch/models/default /tmp/v7-flip
"""
import json
import os
import sys

import torch
import torch.nn.functional as F


class MirrorAveraged(torch.nn.Module):
    def __init__(self, tower):
        super().__init__()
        self.tower = tower

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        # each view normalised first, so that neither outweighs the other; the encoder normalises the sum
        return F.normalize(self.tower(image), dim=-1) + F.normalize(self.tower(torch.flip(image, dims=[3])), dim=-1)


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: flip_bundle.py BUNDLE_DIR OUT_DIR')
    src, out = sys.argv[1:]
    manifest = json.load(open(os.path.join(src, 'clipsearch-model.json')))
    tower = torch.jit.load(os.path.join(src, manifest['image']['file']))
    os.makedirs(out, exist_ok=True)
    torch.jit.script(MirrorAveraged(tower)).save(os.path.join(out, manifest['image']['file']))
    manifest['name'] += '-mirror-averaged'
    with open(os.path.join(out, 'clipsearch-model.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
    print('wrote', out)


if __name__ == '__main__':
    main()
