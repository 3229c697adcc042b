#!/usr/bin/env python3
"""Title recall on the Java encoders' own vectors: where the misses are, and whether pseudo-relevance feedback
(moving the query towards its first hits, Rocchio's rule, or an image's score towards its look-alikes') would catch
them.

    bin/clipsearch encode --texts-file QUERIES --out Q.f32 --batch 1          # QUERIES: the labels' "query" lines
    bin/clipsearch encode --batch 32 IMAGES... > IMAGES.jsonl                  # the labels' images, in their order
    /usr/bin/python3 training/feedback_probe.py --labels training/eval/holdout-labels.jsonl Q.f32 IMAGES.jsonl

(`training/feedback_probe.sh` runs all three on the default model.) The recall is `evaluate`'s: query i's answer is
image i, ties counted by chance, so the first line must repeat the card's recall@1/5/10 for the same model.
"""
import argparse
import collections
import json

import numpy as np


def above_own(scores):
    """Per query (row) i, how many images score above image i, its own."""
    return (scores > np.diag(scores)[:, None]).sum(1)


def recall(scores, ks=(1, 5, 10)):
    """Per query (row) i, the chance that image i is among the first k, images scoring alike in random order."""
    own = np.diag(scores)[:, None]
    above = above_own(scores)
    tied = (scores == own).sum(1)            # the image itself included
    return {k: float(np.clip((k - above) / tied, 0, 1).mean()) for k in ks}


def normalise(a):
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--labels', required=True, help='JSON lines with "query", in the order of both vector files')
    ap.add_argument('queries', help='raw little-endian float32 rows (encode --out)')
    ap.add_argument('images', help='JSON lines with "vector" (encode on image files)')
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.labels)]
    queries = np.fromfile(a.queries, dtype='<f4').reshape(len(rows), -1)
    images = np.array([json.loads(line)['vector'] for line in open(a.images)], dtype=np.float32)
    assert len(images) == len(rows), 'one image vector per label line'
    scores = queries @ images.T
    print('recall@1/5/10', json.dumps(recall(scores)))

    # the misses by kind of query: a title shared by several held-out images ranks them all at once
    titles = [r['query'] for r in rows]
    shared = collections.Counter(titles)
    above = above_own(scores)
    kinds = collections.defaultdict(list)
    for i, t in enumerate(titles):
        kinds['"star"' if t == 'star' else 'shared title' if shared[t] > 1 else 'own title'].append(above[i] < 10)
    for kind, hits in sorted(kinds.items()):
        print(f'{kind}: {len(hits)} queries, {np.mean(hits):.3f} with no more than 9 images above their own')

    # Rocchio: q' = normalise(q + gamma * sum of the first m hits' vectors, softmax(beta * score)-weighted)
    order = np.argsort(-scores, 1, kind='stable')
    grid = []
    for m in (1, 2, 3, 5, 10, 20):
        top = order[:, :m]
        s = np.take_along_axis(scores, top, 1)
        for beta in (0, 10, 30, 100):
            w = np.exp(beta * (s - s.max(1, keepdims=True)))
            w /= w.sum(1, keepdims=True)
            moved = np.einsum('qm,qmd->qd', w, images[top])
            for gamma in (0.1, 0.25, 0.5, 1.0):
                r = recall(normalise(queries + gamma * moved) @ images.T)
                grid.append((r[10], r[1], m, beta, gamma))
    grid.sort(reverse=True)
    print(f'feedback: best of {len(grid)} settings by recall@10 (R@10, R@1, m, beta, gamma):')
    for g in grid[:3]:
        print('  %.4f %.4f %d %g %g' % g)

    # the same idea on the image side: each image's score plus gamma times the mean score of its k nearest images
    between = images @ images.T
    np.fill_diagonal(between, -np.inf)
    neighbours = np.argsort(-between, 1, kind='stable')
    smooth = []
    for k in (3, 5, 10, 20):
        for gamma in (0.1, 0.25, 0.5, 1.0):
            r = recall(scores + gamma * scores[:, neighbours[:, :k]].mean(2))
            smooth.append((r[10], r[1], k, gamma))
    smooth.sort(reverse=True)
    print(f'smoothing over neighbours: best of {len(smooth)} settings (R@10, R@1, k, gamma):')
    for g in smooth[:3]:
        print('  %.4f %.4f %d %g' % g)


if __name__ == '__main__':
    main()
