#!/usr/bin/env python3
"""Write a clipsearch bundle whose image tower adds a memory of its training images' captions to its own embedding.

The trained tower places its training images far closer to their captions than new images to theirs (it fits the
~11,000 images it saw better than it generalises), so a new image is often better described by the captions of the
training images it looks like than by its own embedding alone. The memory keeps, for every training image, what the
tower sees in it (the key) and the text embedding of what it shows (the value: its title plus the mean of all its
captions). A new image's embedding e is moved towards the values of its k nearest keys, weighed by a softmax of their
similarity:  normalise(e + alpha * normalise(sum_j softmax(beta * q.key_j) value_j)),  where q is the new image's
own key. This is nearest-neighbour smoothing, as Tip-Adapter's cache does for CLIP; no weight is trained, and it is
built only from the training data, so the held-out split stays unseen. Measured in docs/model-experiments.md ("A
memory of the training captions").

The key (--keys) is by default the tower's pooled convolutional features, the input of its head: the head maps them
into the text space, where drawings that share a caption word but not a look lie close, so neighbours found before
the head are the visual look-alikes whose captions the embedding lacks. That needs a tower written by train.py;
`--keys embedding` keys on the embedding itself and takes any tower (an ensemble, for one).

    /usr/bin/python3 training/memory_bundle.py [--data training/work/dataset] [--keys pooled|embedding] --out OUT \
        [--name NAME] TOWER_BUNDLE

Keys and values are stored as int8 with one scale per row (10 MB for 11,121 images with pooled keys instead of 40 MB
in float32), within the issue's 20 MB for the whole bundle; the script checks the scripted module against the Python
one and reports how far int8 storage moves the embeddings from float32's.
"""
import argparse
import json
import math
import os
import sys
from typing import Tuple

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import train  # noqa: E402  (the dataset loader and the normalisation the towers were trained with)
from build_dataset import COLOUR_DEGREES  # noqa: E402  (the held-out colour labels' tolerance)


def quantise(rows):
    """int8 rows and one float scale per row: each row's largest magnitude maps to 127."""
    scale = rows.abs().amax(1).clamp_min(1e-12) / 127.0
    return (rows / scale[:, None]).round().clamp(-127, 127).to(torch.int8), scale.float()


class EmbeddingKeys(torch.nn.Module):
    """Any tower: an image's unit embedding, which is also its key."""

    def __init__(self, tower):
        super().__init__()
        self.tower = tower

    def forward(self, image: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        e = F.normalize(self.tower(image), dim=-1)
        return e, e


class PooledKeys(torch.nn.Module):
    """A train.py tower (train.Exported of an ImageTower): an image's unit embedding, and as its key the unit direction
    of the pooled features that the tower's head maps to that embedding. One pass gives both."""

    def __init__(self, tower):
        super().__init__()
        inner = getattr(tower, 'tower', None)
        if not all(hasattr(inner, part) for part in ('stem', 'body', 'head')):
            raise ValueError('not a tower written by train.py (no stem, body and head); use --keys embedding')
        self.stem, self.body, self.head = inner.stem, inner.body, inner.head

    def forward(self, image: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        pooled = train.pool(self.body(self.stem(image)))
        return F.normalize(self.head(pooled), dim=-1), F.normalize(pooled, dim=-1)


KEYS = {'pooled': PooledKeys, 'embedding': EmbeddingKeys}


def key_encoder(tower, key_kind, probe, tower_dir):
    """KEYS[key_kind] over a loaded tower, checked to compute the tower's own embedding on `probe` (normalised
    images); exits with the reason where it cannot."""
    try:
        encoder = KEYS[key_kind](tower)
    except ValueError as e:
        sys.exit(f'{tower_dir}: {e}')
    # a traced tower whose parts were put together otherwise than train.py's forward would give other embeddings
    if (encoder(probe)[0] - F.normalize(tower(probe), dim=-1)).abs().max().item() > 1e-5:
        sys.exit(f'{tower_dir}: its parts do not compute its embedding; use --keys embedding')
    return encoder


class MemoryTower(torch.nn.Module):
    def __init__(self, encoder, keys, values, k: int, beta: float, alpha: float):
        """encoder: image -> (unit embedding, unit key); keys: the training images' keys, values: their captions'."""
        super().__init__()
        self.encoder = encoder
        key_q, key_scale = quantise(keys)
        value_q, value_scale = quantise(values)
        self.register_buffer('key_q', key_q)
        self.register_buffer('key_scale', key_scale)
        self.register_buffer('value_q', value_q)
        self.register_buffer('value_scale', value_scale)
        self.k = k
        self.beta = beta
        self.alpha = alpha

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        e, q = self.encoder(image)
        # the int8 keys are scaled after the product: one multiply per score instead of one per key element
        sim = (q @ self.key_q.float().T) * self.key_scale
        top = sim.topk(self.k, dim=1)
        weights = torch.softmax(self.beta * top.values, dim=1)
        values = self.value_q[top.indices].float() * self.value_scale[top.indices].unsqueeze(-1)
        recalled = F.normalize((weights.unsqueeze(-1) * values).sum(1), dim=-1)
        return F.normalize(e + self.alpha * recalled, dim=-1)


def training_views(rgba_u8, size):
    """The training images as the encoder sees an image: composited onto white, resized (bicubic) to `size`.
    build_dataset.py stores them padded square at 80 px, so the whole drawing is in view."""
    out = []
    for i in range(0, len(rgba_u8), 512):
        x = rgba_u8[i:i + 512].float()
        a = x[..., 3:] / 255.0
        rgb = (x[..., :3] * a + 255.0 * (1 - a)).permute(0, 3, 1, 2)
        rgb = F.interpolate(rgb, size=size, mode='bicubic', align_corners=False, antialias=True)
        out.append(rgb.clamp(0, 255).round().to(torch.uint8).permute(0, 2, 3, 1))
    return torch.cat(out)


def encode_views(encoder, views_u8):
    """Unit embeddings and keys of uint8 views by an EmbeddingKeys or PooledKeys encoder, 256 at a time."""
    parts = [encoder(train.normalise_u8(views_u8[i:i + 256])) for i in range(0, len(views_u8), 256)]
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


def measuring_arguments(description):
    """The command line of the measuring scripts (memory_grid.py, maxsim_probe.py): memory_arguments()'s flags and
    defaults, so that they measure what this script would build, and the tower bundle folder."""
    ap = argparse.ArgumentParser(description=description, parents=[memory_arguments()])
    ap.add_argument('tower', help='a trained tower bundle folder (no memory)')
    a = ap.parse_args()
    torch.set_num_threads(2)
    return a


@torch.no_grad()
def held_out_and_keys(tower_dir, a):
    """For the measuring scripts (memory_grid.py, maxsim_probe.py), with memory_arguments()'s settings a: the
    dataset with the held-out views as the bundle would show them, the held-out images' unit embeddings and keys by
    the tower in tower_dir, and the training images' keys."""
    data = train.load(a.data, resize_mode=a.resize_mode, pad_max_aspect=a.pad_max_aspect)
    size = data['hold_rgb'].shape[1]
    tower = torch.jit.load(os.path.join(tower_dir, 'image.pt')).eval()
    encoder = key_encoder(tower, a.keys, train.normalise_u8(data['hold_rgb'][:64]), tower_dir)
    hold, hold_keys = encode_views(encoder, data['hold_rgb'])
    _, keys = encode_views(encoder, training_views(data['rgba'], size))
    return data, hold, hold_keys, keys


def caption_parts(data):
    """Per training image: its title's embedding and the mean direction of all its captions' embeddings."""
    text, off, flat = data['text'], data['cap_off'], data['cap_flat']
    title = text[flat[off[:-1]]]
    mean = torch.stack([F.normalize(text[flat[off[i]:off[i + 1]]].mean(0), dim=0) for i in range(len(off) - 1)])
    return title, mean


def own_colour_captions(data):
    """Per training image, the id of a caption naming its own colour, or -1. build_dataset.py writes, for each image
    drawn mostly in one hue, a caption per colour word for recolouring it ("a red car"); the one for the word nearest
    the image's own hue, when within COLOUR_DEGREES, is true of the image as it is. -1 for a many-coloured image, a
    hue between words, or a shade the word does not name (build_dataset.py leaves dark orange unnamed)."""
    hue, angle = data['hue'], data['colour_angle']
    known = ~hue.isnan()
    off = (hue.nan_to_num(0)[:, None] - angle[None, :] + math.pi).remainder(2 * math.pi) - math.pi
    nearest = off.abs().argmin(1)
    close = off.abs().gather(1, nearest[:, None]).squeeze(1) <= math.radians(COLOUR_DEGREES)
    named = data['recolour'][torch.arange(len(hue)), nearest]
    return torch.where(known & close, named, -1)


def caption_values(data, colour_weight=1.0):
    """The memory's values: title, caption mean and (weighed by colour_weight) the caption naming the image's own
    colour, summed and normalised. The title is the form users type; the captions add its keywords and category path;
    few of them name a colour, so without the third a new image's colour would be diluted by its look-alikes'."""
    title, mean = caption_parts(data)
    value = title + mean
    colour = own_colour_captions(data)
    has = colour >= 0
    value[has] += colour_weight * data['text'][colour[has]]
    return F.normalize(value, dim=-1)


def recall(e, q, keys, values, k: int, beta: float, alpha: float, barred=None):
    """MemoryTower's computation in float32 on unit embeddings e with their keys q, for checks, memory_grid.py and
    train.py's --memory-alpha; barred (rows x keys, True: not to be recalled) keeps a training row from its own."""
    sim = q @ keys.T
    if barred is not None:
        sim = sim.masked_fill(barred, float('-inf'))
    top = sim.topk(k, dim=1)
    weights = torch.softmax(beta * top.values, dim=1)
    recalled = F.normalize((weights.unsqueeze(-1) * values[top.indices]).sum(1), dim=-1)
    return F.normalize(e + alpha * recalled, dim=-1)


@torch.no_grad()
def write_memory(tower_dir, data_dir, out, name, key_kind, colour_weight, k, beta, alpha, resize_mode, pad_max_aspect):
    manifest = json.load(open(os.path.join(tower_dir, 'clipsearch-model.json')))
    if 'memory' in manifest:
        sys.exit(f'{tower_dir} has a memory already; give the plain tower')
    size = manifest['image']['size']
    if size[0] != size[1]:
        sys.exit(f'{tower_dir}: a square input is expected, not {size}')
    tower = torch.jit.load(os.path.join(tower_dir, manifest['image']['file'])).eval()
    data = train.load(data_dir, size[0])
    probe = train.normalise_u8(data['hold_rgb'][:64])
    encoder = key_encoder(tower, key_kind, probe, tower_dir)
    _, keys = encode_views(encoder, training_views(data['rgba'], size[0]))
    values = caption_values(data, colour_weight)
    k = min(k, len(keys))
    eager = MemoryTower(encoder, keys, values, k, beta, alpha)
    memory = torch.jit.script(eager)
    got = memory(probe)
    # the scripted module must compute what the Python module does
    if (got - eager(probe)).abs().max().item() > 1e-5:
        sys.exit('the scripted memory does not reproduce the module it was scripted from')
    # what int8 storage changes against float32 keys and values; reported, not checked: near-ties among the keys
    # (an undertrained tower's, as in train.sh --quick) may choose other neighbours, which is no error
    expected = recall(*encoder(probe), keys, values, k, beta, alpha)
    agreement = (expected * got).sum(1).min().item()
    os.makedirs(out, exist_ok=True)
    memory.save(os.path.join(out, manifest['image']['file']))
    tower_name = manifest['name']
    manifest['name'] = name or tower_name + '-memory'
    # The keys are the training images whole (padded square, training_views), so "pad" shows a new image whole too
    # (v23; "shortest", the tower's, shows its centre square, as v22 and before did). Up to pad_max_aspect to one:
    # a longer image, padded, would be too thin to see at 64 px (docs/model-experiments.md, "The whole image").
    manifest['image']['resize_mode'] = resize_mode
    manifest['image'].pop('pad_max_aspect', None)
    if resize_mode == 'pad' and pad_max_aspect:
        manifest['image']['pad_max_aspect'] = pad_max_aspect
    manifest['memory'] = {'images': len(keys), 'keys': key_kind, 'colour_weight': colour_weight, 'k': k,
                          'beta': beta, 'alpha': alpha, 'tower': tower_name}
    with open(os.path.join(out, 'clipsearch-model.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    mb = os.path.getsize(os.path.join(out, manifest['image']['file'])) / 1e6
    print(f'wrote {out}: {manifest["name"]}, a memory of {len(keys)} training images ({key_kind} keys, colour '
          f'weight {colour_weight}, k {k}, beta {beta}, alpha {alpha}), image tower {mb:.1f} MB; least cosine to '
          f'float32 storage on 64 held-out images {agreement:.5f}')


def memory_arguments():
    """The memory's own settings, as an argparse parent: memory_grid.py measures the memory with the same flags and
    defaults, so that its grid shows what this script would build."""
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument('--data', default=os.path.join(HERE, 'work', 'dataset'), help='the dataset the tower trained on')
    ap.add_argument('--keys', choices=sorted(KEYS), default='pooled',
                    help="what a training image is recalled by: the tower's pooled features before its head (a "
                         'train.py tower) or its embedding (any tower)')
    ap.add_argument('--colour-weight', type=float, default=1.0,
                    help="weight of the caption naming a training image's own colour in its value (0: none, as v21)")
    ap.add_argument('--resize-mode', choices=('pad', 'shortest'), default='pad',
                    help="how the bundle brings a new image to the input size: whole, padded square, as the keys' "
                         'training images are (pad, since v23), or its centre square (shortest, v22 and before)')
    ap.add_argument('--pad-max-aspect', type=float, default=2.0,
                    help='with pad: images longer than this to one are centre-cropped instead (0: pad all)')
    return ap


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], parents=[memory_arguments()])
    ap.add_argument('--out', required=True, help='the bundle folder to write')
    ap.add_argument('--name', help="the bundle's name (default: the tower's name + '-memory')")
    ap.add_argument('--k', type=int, default=20, help='how many nearest training images an image recalls')
    ap.add_argument('--beta', type=float, default=20.0, help='sharpness of the softmax over their similarities')
    ap.add_argument('--alpha', type=float, default=0.5, help="weight of the recalled captions against the image's own "
                                                              'embedding (both unit length)')
    ap.add_argument('tower', help='the trained tower bundle folder (train.py --out)')
    a = ap.parse_args()
    write_memory(a.tower, a.data, a.out, a.name, a.keys, a.colour_weight, a.k, a.beta, a.alpha, a.resize_mode,
                 a.pad_max_aspect)


if __name__ == '__main__':
    main()
