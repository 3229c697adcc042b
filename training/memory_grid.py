#!/usr/bin/env python3
"""The settings of memory_bundle.py's memory, measured on a grid with Python's held-out evaluation (train.py's).

    /usr/bin/python3 training/memory_grid.py TOWER_BUNDLE [--keys pooled|embedding] [--resize-mode pad|shortest]
        [--data training/work/dataset]

For each setting (what a training image's value is, k, beta, alpha) it prints title recall@10, object top-1 and
category top-1 over the 812 held-out images, how many settings beat the tower alone on all three, and an honest
estimate of a setting chosen on this split: the best setting on one half of the held-out images (by parity),
scored on the other half. memory_bundle.py's defaults were chosen from this grid (docs/model-experiments.md, "A
memory of the training captions").
"""
import itertools
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import memory_bundle  # noqa: E402
import train  # noqa: E402


@torch.no_grad()
def main():
    a = memory_bundle.measuring_arguments(__doc__.split('\n')[0])
    data, hold, hold_keys, keys = memory_bundle.held_out_and_keys(a.tower, a)
    text = data['text']
    title, mean = memory_bundle.caption_parts(data)
    values = {'title': title, 'captions': mean, 'both': memory_bundle.caption_values(data, a.colour_weight)}
    queries = text[data['hold_q']]
    labels = data['hold_labels']
    has_object = labels.any(1)

    def per_image(img):
        sim = queries @ img.T                              # query i's own image is image i
        r10 = train.recall_chance(sim, 10)
        obj = labels.gather(1, (img @ text[data['obj_prompts']].T).argmax(1, keepdim=True)).any(1).float()
        cat = ((img @ text[data['cat_prompts']].T).argmax(1) == data['hold_cat']).float()
        return r10, obj, cat

    def score(measures, mask):
        r10, obj, cat = measures
        return r10[mask].mean().item(), obj[mask & has_object].mean().item(), cat[mask].mean().item()

    everyone = torch.ones(len(hold), dtype=torch.bool)
    base = per_image(hold)
    b = score(base, everyone)
    print(f'tower alone: R@10 {b[0]:.3f}  object top-1 {b[1]:.3f}  category top-1 {b[2]:.3f}')
    grid = list(itertools.product(values, (5, 10, 20, 50, 100), (10, 20, 50), (0.25, 0.5, 0.75, 1.0)))
    measured = {g: per_image(memory_bundle.recall(hold, hold_keys, keys, values[g[0]], *g[1:])) for g in grid}
    print('values    k  beta alpha   R@10  obj@1  cat@1')
    for g in grid:
        s = score(measured[g], everyone)
        print(f'{g[0]:8} {g[1]:3} {g[2]:5} {g[3]:5}  {s[0]:.3f}  {s[1]:.3f}  {s[2]:.3f}')
    better = sum(all(x > y for x, y in zip(score(measured[g], everyone), b)) for g in grid)
    print(f'{better} of {len(grid)} settings beat the tower alone on all three')
    half = torch.arange(len(hold)) % 2
    for h in (0, 1):
        chosen, other = half == h, half != h
        best = max(grid, key=lambda g: sum(score(measured[g], chosen)[:2]))
        s, o = score(measured[best], other), score(base, other)
        print(f'chosen on half {h} (best R@10 + object top-1): {best}; on the other half R@10 {s[0]:.3f} '
              f'(tower {o[0]:.3f}), object top-1 {s[1]:.3f} ({o[1]:.3f}), category top-1 {s[2]:.3f} ({o[2]:.3f})')


if __name__ == '__main__':
    main()
