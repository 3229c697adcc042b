#!/usr/bin/env python3
"""The max-sim lead measured on a tower with the shipped memory (Python, the trainer's held-out views, padded as
the v23 bundle shows new images):

    /usr/bin/python3 training/maxsim_probe.py TOWER_BUNDLE [--data training/work/dataset] [memory_bundle.py's
        --keys, --colour-weight, --resize-mode, --pad-max-aspect]

Each held-out image is scored for a title query by its memory embedding (memory_bundle.py's defaults) plus gamma
times the best single value among its k nearest training images (by pooled keys), instead of only their softmax
mean inside the embedding. An index would need several vectors per image for this (docs/model-experiments.md,
"Three more inference-side measurements on v22"); this says what it would be worth before anyone builds it. The
setting is picked on the same 812 images it is scored on, so the best line is an upper estimate.
"""
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
    title, mean = memory_bundle.caption_parts(data)
    shipped = memory_bundle.caption_values(data, a.colour_weight)
    queries = data['text'][data['hold_q']]
    # k 20, beta 20, alpha 0.5: the shipped memory (memory_bundle.py's defaults)
    base = queries @ memory_bundle.recall(hold, hold_keys, keys, shipped, 20, 20.0, 0.5).T

    def recall(sim):
        return train.recall_chance(sim, 1).mean().item(), train.recall_chance(sim, 10).mean().item()

    print('shipped memory alone: R@1 %.4f R@10 %.4f' % recall(base))
    ks = (5, 10, 20, 50)
    nearest = (hold_keys @ keys.T).topk(max(ks), dim=1).indices      # nearest first, so any k is its first k columns
    rows = []
    for name, values in (('both', shipped), ('title', title), ('captions', mean)):
        best = torch.full_like(base, -float('inf'))                    # the best so far grows with k: one pass
        for j in range(max(ks)):
            best = torch.maximum(best, queries @ values[nearest[:, j]].T)
            if j + 1 in ks:
                for gamma in (0.25, 0.5, 1.0, 2.0):
                    rows.append((*recall(base + gamma * best), name, j + 1, gamma))
    rows.sort(key=lambda r: -r[1])
    print('best of %d settings by R@10 (R@1, R@10, values, k, gamma):' % len(rows))
    for r in rows[:3]:
        print('  %.4f %.4f %s %d %g' % r)


if __name__ == '__main__':
    main()
