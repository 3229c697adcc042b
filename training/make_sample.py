#!/usr/bin/python3
"""Copies a varied selection of HELD-OUT openclipart images (never trained on) into index-data/sample/, downscaled to
at most 512 px (PNG, transparency kept), and lists each file's source in index-data/sample/SOURCES.tsv.

Reads training/work/dataset/holdout.jsonl (build_dataset.py) and the PNGs under training/work/raw/ (fetch_data.sh).
Deterministic: the same inputs give the same selection and bytes.
"""
import argparse
import hashlib
import json
import os
import re
import shutil

import build_dataset as B

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Long, repetitive series are capped so that the sample is varied: (regex on the path, at most this many)
CAPS = [(r'^shapes/stars/', 6), (r'^computer/icons/', 20), (r'^signs_and_symbols/flags/', 12),
        (r'^recreation/games/cards/', 6), (r'^recreation/games/', 10), (r'aiga', 6),
        (r'^signs_and_symbols/map_symbols/', 5),
        (r'^special/patterns/', 3), (r'^shapes/jigsaw/', 2), (r'^shapes/', 12), (r'^computer/', 30),
        (r'^signs_and_symbols/', 30), (r'^geography/', 10), (r'^unsorted/', 10)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--holdout', default=os.path.join(HERE, 'work', 'dataset', 'holdout.jsonl'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'index-data', 'sample'))
    ap.add_argument('--max-side', type=int, default=512)
    ap.add_argument('--max-images', type=int, default=450)
    a = ap.parse_args()

    recs = [json.loads(l) for l in open(a.holdout)]
    png_root = os.path.join(B.OC, 'png')
    # deterministic order: by hash of the path (mixes categories), then apply caps
    recs.sort(key=lambda r: hashlib.md5(r['path'].encode()).hexdigest())
    used = {i: 0 for i in range(len(CAPS))}
    seen_md5, chosen = set(), []
    for r in recs:
        p = os.path.join(png_root, r['path'])
        md5 = hashlib.md5(open(p, 'rb').read()).hexdigest()
        if md5 in seen_md5:           # the same picture filed in two folders
            continue
        cap = next((i for i, (rx, _) in enumerate(CAPS) if re.search(rx, r['path'])), None)
        if cap is not None:
            if used[cap] >= CAPS[cap][1]:
                continue
            used[cap] += 1
        seen_md5.add(md5)
        chosen.append(r)
    chosen = chosen[:a.max_images]
    chosen.sort(key=lambda r: r['path'])

    if os.path.isdir(a.out):
        shutil.rmtree(a.out)
    os.makedirs(a.out)
    names, rows, total = set(), [], 0
    for r in chosen:
        p = os.path.join(png_root, r['path'])
        svg = os.path.join(B.OC, 'svg', r['path'][:-4] + '.svg')
        im = B.load_rgba(p, svg if os.path.exists(svg) else None, max_side=a.max_side)
        if im is None:
            continue
        base = r['path'].split('/')[0] + '-' + re.sub(r'[^A-Za-z0-9._-]+', '_', os.path.basename(r['path']))
        name, k = base, 2
        while name in names:
            name = base[:-4] + f'-{k}.png'
            k += 1
        names.add(name)
        dest = os.path.join(a.out, name)
        im.save(dest, optimize=True)
        total += os.path.getsize(dest)
        title = (r['title'] or r['caption']).replace('\t', ' ').replace('\n', ' ')
        rows.append(f"{name}\t/usr/share/openclipart/png/{r['path']}\t{title}\tpublic domain\n")
    with open(os.path.join(a.out, 'SOURCES.tsv'), 'w', encoding='utf-8') as f:
        f.write('# Public-domain clip art from the Open Clip Art Library (openclipart.org), as packaged by Debian in\n'
                '# openclipart-png 1:0.18+dfsg-19 (its copyright file: Creative Commons Public Domain Dedication).\n'
                '# Each image was held out from the training of clipsearch\'s default model '
                '(training/make_sample.py);\n'
                f'# large ones were downscaled to at most {a.max_side} px.\n')
        f.write('file\toriginal\ttitle\tlicence\n')
        f.writelines(rows)
    print(f'{len(rows)} images, {total / 1e6:.1f} MB -> {a.out}')


if __name__ == '__main__':
    main()
