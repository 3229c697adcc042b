#!/usr/bin/python3
"""Trains the image tower of clipsearch's default model against the frozen MiniLM text embeddings (LiT-style):
symmetric InfoNCE with a learned temperature, a small ResNet-style CNN from scratch, then exports TorchScript and
writes the clipsearch bundle manifest.

Reads (from --data, written by build_dataset.py + the Java `encode` command):
  train_rgba.npy train_box.npy train_noflip.npy captions_index.json captions.f32 holdout_rgb.npy holdout_labels.npy
  holdout_cat.npy
"""
import argparse
import collections
import copy
import json
import math
import os
import random
import re
import time

# OpenBLAS (Debian's numpy and torch do their matrix products through it) keeps its threads spinning for ~2^28
# cycles after each product, on the same two cores that oneDNN's convolutions then need: 222 against 261 training
# images/s with the caption bank (training/bench_speed.sh). 2^4 cycles lets them sleep at once. Read when OpenBLAS
# loads, so set before the imports.
os.environ.setdefault('OPENBLAS_THREAD_TIMEOUT', '4')
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import ensemble_bundle

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]
DIM = 384
# two caption embeddings this close (cosine) name the same thing, so each counts as the other's positive in the loss
SAME_TEXT = 0.95


# ----------------------------------------------------------------------------------------------- model

class Block(nn.Module):
    def __init__(self, cin, cout, stride, drop_path=0.0):
        super().__init__()
        self.drop_path = drop_path
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        nn.init.zeros_(self.b2.weight)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)), inplace=True)
        y = self.b2(self.c2(y))
        if self.training and self.drop_path > 0:
            # stochastic depth: per sample, the residual branch is dropped (the block is its shortcut) or rescaled
            keep = 1 - self.drop_path
            y = y * (torch.rand(y.shape[0], 1, 1, 1) < keep).to(y.dtype) / keep
        return F.relu(y + (x if self.short is None else self.short(x)), inplace=True)


def pool(features):
    """Global average and max pooling side by side: what the head reads, and memory_bundle.py's keys."""
    return torch.cat([features.mean((2, 3)), features.amax((2, 3))], 1)


class ImageTower(nn.Module):
    """stem (stride 2) -> stages of basic blocks -> global average + max pooling -> linear 384."""

    def __init__(self, widths=(32, 64, 128, 256), depths=(1, 2, 2, 2), stem=32, drop_path=0.0, dropout=0.0):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem), nn.ReLU(inplace=True))
        layers, cin = [], stem
        blocks = sum(depths)
        for i, (w, d) in enumerate(zip(widths, depths)):
            for j in range(d):
                # drop rate rising linearly with depth to drop_path at the last block, as in the stochastic-depth paper
                layers.append(Block(cin, w, 2 if (j == 0 and i > 0) else 1, drop_path * (len(layers) + 1) / blocks))
                cin = w
        self.body = nn.Sequential(*layers)
        head = [nn.Linear(2 * cin, cin), nn.ReLU(inplace=True)]
        # only when asked for, so that the module names (and checkpoints) of other runs stay as they are
        if dropout > 0:
            head.append(nn.Dropout(dropout))
        self.head = nn.Sequential(*head, nn.Linear(cin, DIM))

    def forward(self, image):
        return self.head(pool(self.body(self.stem(image))))

    def embedding_and_pooled(self, image):
        """The embedding (not normalised, as forward's) and the pooled features the head read: memory_bundle.py's
        keys, which --memory-alpha trains through."""
        pooled = pool(self.body(self.stem(image)))
        return self.head(pooled), pooled


class Exported(nn.Module):
    def __init__(self, tower):
        super().__init__()
        self.tower = tower

    def forward(self, image):
        return F.normalize(self.tower(image), dim=-1)


# ----------------------------------------------------------------------------------------------- augmentation

def backgrounds(b, size, g):
    """White mostly; else light/random solid colours, gradients, smooth noise, dark."""
    kind = torch.multinomial(torch.tensor([0.5, 0.14, 0.1, 0.12, 0.1, 0.04]), b, replacement=True, generator=g)
    bg = torch.ones(b, 3, size, size)
    col = torch.rand(b, 3, 1, 1, generator=g)
    light = 0.75 + 0.25 * torch.rand(b, 3, 1, 1, generator=g)
    c2 = torch.rand(b, 3, 1, 1, generator=g)
    t = torch.linspace(0, 1, size)
    horiz = torch.rand(b, generator=g) < 0.5
    ramp = torch.where(horiz[:, None, None, None], t.view(1, 1, 1, size).expand(b, 1, size, size),
                       t.view(1, 1, size, 1).expand(b, 1, size, size))
    grad = col * (1 - ramp) + c2 * ramp
    noise = F.interpolate(torch.rand(b, 3, 6, 6, generator=g), size=(size, size), mode='bicubic',
                          align_corners=False).clamp(0, 1) * 0.8 + 0.2 * torch.rand(b, 3, size, size, generator=g)
    dark = 0.2 * torch.rand(b, 3, 1, 1, generator=g)
    for k, v in ((1, light), (2, col), (3, grad), (4, noise), (5, dark)):
        m = (kind == k).view(b, 1, 1, 1)
        bg = torch.where(m, v.expand(b, 3, size, size), bg)
    return bg


# Words that make a caption depend on an image's colours; images drawn with such a caption keep their hues.
COLOUR_WORDS = re.compile(r'\b(red|green|blue|yellow|orange|purple|violet|pink|brown|black|white|gr[ae]y|gold(en)?|'
                          r'silver|cyan|magenta|turquoise|beige|maroon|navy|teal|lime|olive|crimson|scarlet|'
                          r'colou?r(s|ed|ful)?|rainbow|multicolou?red|monochrome|tan)\b', re.IGNORECASE)


def hue_rotation(angle):
    """B angles (radians) -> B x 3 x 3 matrices rotating RGB about the grey axis: hue turns, greys stay grey."""
    k = torch.full((3,), 1 / math.sqrt(3))
    cross = torch.tensor([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    c, s = angle.cos().view(-1, 1, 1), angle.sin().view(-1, 1, 1)
    return c * torch.eye(3) + s * cross + (1 - c) * torch.outer(k, k)


def compose(rgba_u8, box, first, second, g):
    """Pairs of images (indices into rgba_u8 / box) drawn side by side or one above the other, each scaled to fit its
    half at a random size and place. Returns their RGBA pictures (B x S x S x 4 uint8) and content boxes."""
    b, s = len(first), rgba_u8.shape[1]
    side_by_side = torch.rand(b, generator=g) < 0.5
    canvas = torch.zeros(b, 4, s, s)                 # premultiplied RGBA: sampling at edges does not bleed black
    for slot, src in enumerate((first, second)):
        bx = box[src].float()
        cw = torch.where(side_by_side, s / 2, float(s))
        ch = torch.where(side_by_side, float(s), s / 2)
        cx = torch.where(side_by_side, slot * s / 2, 0.0)
        cy = torch.where(side_by_side, 0.0, slot * s / 2)
        f = torch.minimum(cw / bx[:, 2], ch / bx[:, 3]) * (0.75 + 0.25 * torch.rand(b, generator=g))
        px = cx + torch.rand(b, generator=g) * (cw - bx[:, 2] * f)
        py = cy + torch.rand(b, generator=g) * (ch - bx[:, 3] * f)
        theta = torch.zeros(b, 2, 3)                 # output (canvas) coordinates -> source coordinates, both [-1, 1]
        theta[:, 0, 0] = 1 / f
        theta[:, 1, 1] = 1 / f
        theta[:, 0, 2] = 2 * bx[:, 0] / s + 1 / f - 2 * px / (s * f) - 1
        theta[:, 1, 2] = 2 * bx[:, 1] / s + 1 / f - 2 * py / (s * f) - 1
        img = rgba_u8[src].permute(0, 3, 1, 2).float() / 255.0
        img = torch.cat([img[:, :3] * img[:, 3:], img[:, 3:]], 1)
        part = F.grid_sample(img, F.affine_grid(theta, (b, 4, s, s), align_corners=False), mode='bilinear',
                             padding_mode='zeros', align_corners=False)
        canvas = part + canvas * (1 - part[:, 3:])
    alpha = canvas[:, 3:]
    rgb = torch.where(alpha > 1e-3, canvas[:, :3] / alpha.clamp(min=1e-3), torch.ones_like(canvas[:, :3]))
    out = (torch.cat([rgb.clamp(0, 1), alpha], 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous()
    cols, rows = alpha[:, 0].amax(1) > 0.02, alpha[:, 0].amax(2) > 0.02
    idx = torch.arange(s)

    def extent(m):
        lo = torch.where(m, idx, s).amin(1)
        hi = torch.where(m, idx, -1).amax(1)
        return lo, (hi - lo + 1).clamp(min=1)
    x0, w = extent(cols)
    y0, h = extent(rows)
    return out, torch.stack([x0.clamp(max=s - 1), y0.clamp(max=s - 1), w, h], 1)


def augment(rgba_u8, box, noflip, out, g, p_exact=0.3, recolour=None, turn=None, whole=None, rotate=0.0,
            zoom_out=1.0, pad_max_aspect=0.0):
    """rgba_u8: B x S x S x 4 uint8. Returns B x 3 x out x out normalised. recolour: B booleans, images whose hues
    may be turned (their caption names no colour), so shape rather than colour carries the meaning. turn: B hue
    angles (radians, NaN for none) for images whose caption names the colour they are turned to. whole: B booleans,
    pictures whose crop must keep all of their content (composites: their caption names every part). rotate: turn
    each view by up to this many degrees either way; zoom_out: crops reach up to this many times the content's
    bounding square, so that the drawing can also be smaller than the frame (both off by default: runs without them
    keep their random stream and their pixels). pad_max_aspect: when not 0, the inference view of an image no longer
    than this to one is the whole image padded to a square (the bundle's resize_mode "pad"), not its centre square;
    it draws no random numbers, so the stream stays that of the runs before."""
    b, s = rgba_u8.shape[0], rgba_u8.shape[1]
    geometric = rotate > 0 or zoom_out > 1
    x = rgba_u8.permute(0, 3, 1, 2).float() / 255.0
    a = x[:, 3:4]
    if geometric:
        # A turned or shrunken view reaches past the stored square, so the background goes in after resampling:
        # premultiplied colour and alpha are resampled with zeros outside, then composited at the output size.
        x = torch.cat([x[:, :3] * a, a], 1)
    else:
        x = x[:, :3] * a + backgrounds(b, s, g) * (1 - a)
    box = box.float()
    cx, cy = box[:, 0] + box[:, 2] / 2, box[:, 1] + box[:, 3] / 2
    big = torch.maximum(box[:, 2], box[:, 3])
    small = torch.minimum(box[:, 2], box[:, 3])
    # random resized crop over the content's bounding square
    area = 0.4 + 0.6 * torch.rand(b, generator=g)
    if zoom_out > 1:
        area = 0.4 + (zoom_out ** 2 - 0.4) * (area - 0.4) / 0.6
    if whole is not None:
        area = torch.where(whole, 0.85 + 0.25 * (area - 0.4), area)
    logr = (torch.rand(b, generator=g) * 2 - 1) * math.log(4 / 3)
    side = big * area.sqrt()
    cw, ch = side * torch.exp(logr / 2), side * torch.exp(-logr / 2)
    # the room to move the view: a view larger than the content (zoom_out) may also place it off centre
    room = (lambda d: d.abs()) if geometric else (lambda d: d.clamp(min=0))
    ox = (torch.rand(b, generator=g) - 0.5) * room(big - cw)
    oy = (torch.rand(b, generator=g) - 0.5) * room(big - ch)
    exact = torch.rand(b, generator=g) < p_exact   # the inference view: centre square of the shortest side
    # or, padded, the square of the longest: the stored square holds the image centred on transparency, which
    # becomes the view's background as the white padding does at inference
    shown = torch.where(big <= pad_max_aspect * small, big, small) if pad_max_aspect else small
    cw = torch.where(exact, shown, cw)
    ch = torch.where(exact, shown, ch)
    ox = torch.where(exact, torch.zeros_like(ox), ox)
    oy = torch.where(exact, torch.zeros_like(oy), oy)
    flip = (torch.rand(b, generator=g) < 0.5) & ~noflip
    sx = cw / s * torch.where(flip, -1.0, 1.0)
    sy = ch / s
    angle = torch.zeros(b)
    if geometric:
        # the output grid is turned, then scaled: the inference view and composites (their parts must stay in) are
        # never turned
        angle = (torch.rand(b, generator=g) * 2 - 1) * math.radians(rotate)
        angle = torch.where(exact, torch.zeros_like(angle), angle)
        if whole is not None:
            angle = torch.where(whole, torch.zeros_like(angle), angle)
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([torch.stack([sx * cos, -sx * sin, (cx + ox - s / 2) / (s / 2)], 1),
                         torch.stack([sy * sin, sy * cos, (cy + oy - s / 2) / (s / 2)], 1)], 1)
    grid = F.affine_grid(theta, (b, x.shape[1], out, out), align_corners=False)
    # premultiplied views are padded with transparency, composited views (already on their background) with their edge
    x = F.grid_sample(x, grid, mode='bilinear', padding_mode='zeros' if geometric else 'border', align_corners=False)
    if geometric:
        x = x[:, :3] + backgrounds(b, out, g) * (1 - x[:, 3:4])
    # colour jitter without hue changes (captions name colours): brightness, contrast, saturation
    j = (torch.rand(b, generator=g) < 0.8).view(b, 1, 1, 1)
    br = 1 + (torch.rand(b, 1, 1, 1, generator=g) - 0.5) * 0.4
    co = 1 + (torch.rand(b, 1, 1, 1, generator=g) - 0.5) * 0.4
    sa = 1 + (torch.rand(b, 1, 1, 1, generator=g) - 0.5) * 0.6
    y = x * br
    m = y.mean((1, 2, 3), keepdim=True)
    y = (y - m) * co + m
    grey = (0.299 * y[:, 0:1] + 0.587 * y[:, 1:2] + 0.114 * y[:, 2:3])
    y = ((y - grey) * sa + grey).clamp(0, 1)
    x = torch.where(j, y, x)
    if recolour is not None and recolour.any():
        turned = torch.bmm(hue_rotation(torch.rand(b, generator=g) * 2 * math.pi), x.flatten(2)).view_as(x)
        x = torch.where(recolour.view(b, 1, 1, 1), turned.clamp(0, 1), x)
    if turn is not None:
        named = ~turn.isnan()
        if named.any():
            turned = torch.bmm(hue_rotation(turn.nan_to_num(0)), x.flatten(2)).view_as(x)
            x = torch.where(named.view(b, 1, 1, 1), turned.clamp(0, 1), x)
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def normalise_u8(rgb_u8):
    x = rgb_u8.permute(0, 3, 1, 2).float() / 255.0
    return (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)


def soft_cross_entropy(logits, pos, extra_logits=None, extra_pos=None):
    """Mean over rows of the cross-entropy between softmax(row) and the row's positives weighed equally (pos: 0/1),
    optionally with more classes (extra_logits, their positives extra_pos: booleans) in the same softmax.
    The targets sum to 1, so each row's loss is its logsumexp minus the mean of its positive logits: the same value
    and gradient as the target-matrix form of the runs before (checked to 2e-7), and no faster once OpenBLAS sleeps
    (45-51 ms per step of the loss either way with 8,192 bank captions); v17 was trained with this form."""
    lse = logits.logsumexp(1)
    hit = (pos * logits).sum(1)
    count = pos.sum(1)
    if extra_logits is not None:
        lse = torch.logaddexp(lse, extra_logits.logsumexp(1))
        rows, cols = extra_pos.nonzero(as_tuple=True)
        hit = hit.index_add(0, rows, extra_logits[rows, cols])
        count = count.index_add(0, rows, torch.ones(len(rows), dtype=count.dtype))
    return (lse - hit / count).mean()


def text_soft_cross_entropy(logits, pos, text_sim, weight, scale, extra_logits=None, extra_pos=None,
                            extra_sim=None):
    """soft_cross_entropy with each row's target mixed with the text tower's own view of the columns: (1 - weight)
    times the row's positives weighed equally plus weight times softmax(scale * text_sim), text_sim being the row's
    caption against the columns' (extra_sim likewise for the extra classes).
    The text tower is frozen and was trained on far more text than these captions, so its similarities say which
    wrong captions are nearly right ("a kitten" for a cat); hard targets call them as wrong as "a truck". Rows are
    images and columns captions (or, for the text-to-image half, rows captions and columns the images, each known
    by its own caption: text_sim is then the batch's captions against each other, symmetric)."""
    if extra_logits is not None:
        logits = torch.cat([logits, extra_logits], 1)
        pos = torch.cat([pos, extra_pos.float()], 1)
        text_sim = torch.cat([text_sim, extra_sim], 1)
    hard = pos / pos.sum(1, keepdim=True)
    soft = torch.softmax(scale * text_sim, 1)
    target = (1 - weight) * hard + weight * soft
    return (logits.logsumexp(1) - (target * logits).sum(1)).mean()


class TrainingMemory:
    """memory_bundle.py's memory of the training captions, kept during training (--memory-alpha), so that the loss
    is taken on the embedding the bundle will give, normalise(e + alpha * normalise(sum softmax(beta * q.key) value)),
    and the pooled features (the keys) learn to find the training images whose captions fit, not only to feed the
    head. That is retrieval-augmented training (RECO, Iscen et al. 2023, keeps a memory beside a frozen CLIP; here the
    keys themselves are trained). The keys are those memory_bundle.py builds: the training images whole (padded
    square, no augmentation) through the tower in eval mode, refreshed every few hundred steps, so they are at most
    that stale. A row never recalls itself, nor an image byte-identical to it (the split is by image bytes, so a new
    image has no such twin in the memory), nor, for a composite, either of its two pictures."""

    def __init__(self, data, size, k, beta, alpha):
        import hashlib
        import memory_bundle      # imports this module by name; it needs only its definitions
        self.recall = memory_bundle.recall
        self.views = memory_bundle.training_views(data['rgba'], size)
        self.values = memory_bundle.caption_values(data)
        digests = {}
        self.group = torch.tensor([digests.setdefault(hashlib.sha1(r.numpy().tobytes()).digest(), len(digests))
                                   for r in data['rgba']])
        self.k, self.beta, self.alpha = k, beta, alpha
        self.keys = None

    @torch.no_grad()
    def keys_of(self, model, bs=512):
        was_training = model.training
        model.eval()
        out = [F.normalize(model.embedding_and_pooled(normalise_u8(self.views[i:i + bs]))[1], dim=-1)
               for i in range(0, len(self.views), bs)]
        model.train(was_training)
        return torch.cat(out)

    def refresh(self, model):
        self.keys = self.keys_of(model)

    def mix(self, e, pooled, keys=None, exclude=None):
        """Unit embeddings through the memory; exclude: per row, up to two duplicate groups it may not recall."""
        barred = None if exclude is None else (self.group[None, :, None] == exclude[:, None, :]).any(2)
        return self.recall(F.normalize(e, dim=-1), F.normalize(pooled, dim=-1), self.keys if keys is None else keys,
                           self.values, self.k, self.beta, self.alpha, barred)


# ----------------------------------------------------------------------------------------------- evaluation

@torch.no_grad()
def embed(model, x_u8, bs=256, memory=None):
    """Unit embeddings of uint8 views; through `memory` (a TrainingMemory, keys by this model) when given."""
    model.eval()
    if memory is None:
        out = [F.normalize(model(normalise_u8(x_u8[i:i + bs])), dim=-1) for i in range(0, len(x_u8), bs)]
    else:
        keys = memory.keys_of(model)
        out = [memory.mix(*model.embedding_and_pooled(normalise_u8(x_u8[i:i + bs])), keys=keys)
               for i in range(0, len(x_u8), bs)]
    model.train()
    return torch.cat(out)


def recall_chance(sim, k):
    """Per query i (row), the chance that image i is among the first k, images that score exactly alike taken in
    random order (the held-out split holds byte-identical pictures under different titles): as evaluate in Java."""
    own = sim.diag()[:, None]
    ahead = (sim > own).sum(1).float()
    tied = (sim == own).sum(1).float()                  # itself included
    return ((k - ahead) / tied).clamp(0, 1)


@torch.no_grad()
def evaluate(model, data, memory=None):
    img = embed(model, data['hold_rgb'], memory=memory)
    q = data['text'][data['hold_q']]
    sim = q @ img.T                                     # query i's own image is image i
    res = {f'R@{k}': recall_chance(sim, k).mean().item() for k in (1, 5, 10)}
    lab = data['hold_labels']
    has = lab.any(1)
    if has.any():
        s = img[has] @ data['text'][data['obj_prompts']].T
        top5 = s.topk(5, dim=1).indices
        l = lab[has]
        res['obj_top1'] = l.gather(1, top5[:, :1]).any(1).float().mean().item()
        res['obj_top5'] = l.gather(1, top5).any(1).float().mean().item()
    s = img @ data['text'][data['cat_prompts']].T
    res['cat_top1'] = (s.argmax(1) == data['hold_cat']).float().mean().item()
    return res


# ----------------------------------------------------------------------------------------------- main

def holdout_views(d, size, resize_mode='shortest', pad_max_aspect=0):
    """The held-out images as the Java encoder sees them at `size` px with a bundle's resize_mode (build_dataset.py
    stores them at 64 px, "shortest", a tower's; the default model pads, memory_bundle.py)."""
    stored = np.load(os.path.join(d, 'holdout_rgb.npy'))
    if stored.shape[1] == size and resize_mode == 'shortest':
        return stored
    from PIL import Image
    import build_dataset
    paths = [json.loads(l)['path'] for l in open(os.path.join(d, 'holdout.jsonl'), encoding='utf-8')]
    root = os.path.join(HERE, 'work', 'holdout-images')
    return np.stack([build_dataset.inference_view(Image.open(os.path.join(root, p)).convert('RGBA'), size,
                                                  resize_mode, pad_max_aspect) for p in paths])


def load(d, size=64, resize_mode='shortest', pad_max_aspect=0):
    idx = json.load(open(os.path.join(d, 'captions_index.json')))
    text = np.fromfile(os.path.join(d, 'captions.f32'), dtype='<f4').reshape(-1, DIM)
    lines = open(os.path.join(d, 'captions.txt'), encoding='utf-8').read().split('\n')[:-1]
    assert all(l.strip() for l in lines), 'captions.txt has an empty line: indices would shift'
    n_lines = len(lines)
    assert text.shape[0] == n_lines, f'captions.f32 has {text.shape[0]} rows, captions.txt {n_lines} lines'
    text = F.normalize(torch.from_numpy(text.copy()), dim=-1)
    names_colour = torch.tensor([bool(COLOUR_WORDS.search(l)) for l in lines])
    caps = idx['train']
    flat = torch.tensor([c for cs in caps for c in cs])
    off = torch.tensor([0] + list(np.cumsum([len(c) for c in caps])))
    rows = [json.loads(l) for l in open(os.path.join(d, 'train.jsonl'), encoding='utf-8')]
    emoji = [r.get('source', 'openclipart').startswith('emoji') for r in rows]
    assert len(emoji) == len(caps), 'train.jsonl and captions_index.json disagree'
    # how many training images share each image's cleaned title (1,247 of the 7,309 openclipart ones are "star")
    title_count = collections.Counter(r['caption'].lower() for r in rows)
    same_title = torch.tensor([title_count[r['caption'].lower()] for r in rows], dtype=torch.float64)
    # extra data (build_dataset.py): recolourings named by colour, and pairs of images composed into one picture
    recolour = torch.full((len(caps), len(idx['colours'])), -1, dtype=torch.long)
    for i, cs in enumerate(idx['recolour']):
        if cs:
            recolour[i] = torch.tensor(cs)
    return {
        'recolour': recolour, 'hue': torch.from_numpy(np.load(os.path.join(d, 'train_hue.npy'))),
        'colour_angle': torch.tensor([c['angle'] for c in idx['colours']], dtype=torch.float32),
        'pairs': torch.tensor(idx['composites'], dtype=torch.long).view(-1, 3),
        'emoji': torch.tensor(emoji), 'same_title': same_title,
        'rgba': torch.from_numpy(np.load(os.path.join(d, 'train_rgba.npy'))),
        'box': torch.from_numpy(np.load(os.path.join(d, 'train_box.npy')).astype(np.int64)),
        'noflip': torch.from_numpy(np.load(os.path.join(d, 'train_noflip.npy'))),
        'cap_flat': flat, 'cap_off': off,
        'text': text, 'names_colour': names_colour,
        'hold_rgb': torch.from_numpy(holdout_views(d, size, resize_mode, pad_max_aspect)),
        'hold_q': torch.tensor(idx['holdout_query']),
        'hold_labels': torch.from_numpy(np.load(os.path.join(d, 'holdout_labels.npy'))),
        'hold_cat': torch.from_numpy(np.load(os.path.join(d, 'holdout_cat.npy')).astype(np.int64)),
        'obj_prompts': torch.tensor(idx['object_prompts']), 'cat_prompts': torch.tensor(idx['category_prompts']),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(HERE, 'work', 'dataset'))
    # the trained tower alone; train.sh adds the memory of the training captions (memory_bundle.py) to make the
    # default bundle, so a run of train.py by itself never overwrites the shipped model
    ap.add_argument('--out', default=os.path.join(HERE, 'work', 'tower'))
    ap.add_argument('--epochs', type=int, default=140)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--wd', type=float, default=0.2)
    ap.add_argument('--size', type=int, default=64)
    ap.add_argument('--widths', default='32,64,128,256')
    ap.add_argument('--depths', default='1,1,2,1')
    ap.add_argument('--emoji-share', type=float, default=0.15,
                    help='fraction of each epoch drawn from the emoji (none are in the evaluation; all of them '
                         'would be a third of the data); a negative value uses every emoji image once per epoch')
    ap.add_argument('--title-prob', type=float, default=0.25,
                    help="probability of training on an image's own title (the form users type and the held-out "
                         'queries take) instead of a caption drawn uniformly from all of its captions')
    ap.add_argument('--title-balance', type=float, default=0,
                    help='draw each epoch\'s openclipart images with replacement, weighed by (images sharing the '
                         'title)^-x: 0 = every image once per epoch; 0.5 = a title shared by 1,247 images is seen '
                         '35 times as often as a unique one, not 1,247')
    ap.add_argument('--title-positives', action='store_true',
                    help='count images that share a cleaned title as positives of each other\'s drawn captions '
                         '(without it only captions that nearly coincide are: two "star" images, one drawn with '
                         'its title and one with a keyword caption, are pushed apart as negatives)')
    ap.add_argument('--hue-prob', type=float, default=0,
                    help='probability of turning the hues of an image whose drawn caption names no colour')
    ap.add_argument('--recolour-prob', type=float, default=0,
                    help='probability of turning a one-hued image to one of the colour words and training on a caption '
                         'that names that colour ("a red car")')
    ap.add_argument('--rotate', type=float, default=0,
                    help='turn training views by up to this many degrees either way (not the inference view)')
    ap.add_argument('--zoom-out', type=float, default=1.0,
                    help='let crops reach up to this many times the drawing\'s bounding square (1: only zoom in)')
    ap.add_argument('--pad-max-aspect', type=float, default=0,
                    help='show the inference view as the default bundle does (v23: resize_mode "pad"): images no '
                         'longer than this to one whole on a square, longer ones cropped; 0: the centre square of '
                         'every image (the runs up to v22)')
    ap.add_argument('--composite-prob', type=float, default=0.15,
                    help='probability of replacing an image by two training images side by side, with a caption '
                         'naming both (0 for the runs before v6)')
    ap.add_argument('--ema', type=float, default=0.999,
                    help='decay of the exponential moving average of the weights that is evaluated and exported '
                         '(0 = export the trained weights themselves, as before v6)')
    ap.add_argument('--drop-path', type=float, default=0,
                    help='stochastic depth: the largest rate at which a residual branch is skipped in training')
    ap.add_argument('--dropout', type=float, default=0, help='dropout before the last layer of the head')
    ap.add_argument('--loss', choices=('softmax', 'sigmoid'), default='softmax',
                    help="softmax: CLIP's symmetric InfoNCE; sigmoid: SigLIP's pairwise loss (every image-caption pair "
                         'of the batch a binary match, with a learned bias), said to be better at small batches')
    ap.add_argument('--bank-negatives', type=int, default=8192,
                    help='extra negatives for the image-to-text half of the softmax loss: this many captions drawn '
                         'each step from all training captions (the text tower is frozen, so their embeddings cost '
                         'nothing to keep; 8192 since v17; 0 = only the batch\'s own captions, as before)')
    ap.add_argument('--text-soft', type=float, default=0,
                    help='weight of soft targets taken from the frozen text space (0 = the hard targets alone, as '
                         'before): each image\'s target over the captions is mixed with softmax(--text-soft-scale '
                         '* caption similarity), so that captions near its own are less wrong than the rest')
    ap.add_argument('--text-soft-scale', type=float, default=20,
                    help='sharpness of those soft targets: at 20, over 8,320 training captions, the captions other '
                         'than a row\'s own get about 4%% of its soft target in the median row, a fifth on average')
    ap.add_argument('--memory-alpha', type=float, default=0,
                    help="train through memory_bundle.py's memory of the training captions with this alpha (0: off; "
                         'give memory_bundle.py the same --alpha, --k and --beta)')
    ap.add_argument('--memory-k', type=int, default=20, help='with --memory-alpha: training images recalled')
    ap.add_argument('--memory-beta', type=float, default=20.0, help='with --memory-alpha: softmax sharpness')
    ap.add_argument('--memory-plain', type=float, default=0,
                    help="with --memory-alpha: weight of the loss on the tower's own embedding beside the memory's")
    ap.add_argument('--memory-from', type=float, default=0.25,
                    help='with --memory-alpha: the share of the steps trained without the memory first, so that the '
                         'keys mean something when it starts')
    ap.add_argument('--memory-refresh', type=int, default=250,
                    help='with --memory-alpha: steps between two encodings of the training images as keys')
    ap.add_argument('--init', metavar='BUNDLE',
                    help='start from the image tower and logit scale of a bundle this script wrote (a second phase '
                         'of training on a finished run) instead of from random weights')
    ap.add_argument('--cycles', type=int, default=1,
                    help='snapshot ensemble: the cosine schedule restarts this many times; the tower at the end of '
                         'each cycle is exported and --out becomes the average of their embeddings')
    ap.add_argument('--eval-every', type=int, default=500)
    ap.add_argument('--max-steps', type=int, default=0, help='stop early (smoke tests)')
    ap.add_argument('--minutes', type=float, default=0,
                    help='wall-clock budget: the schedule follows max(step fraction, time fraction) and training '
                         'stops when either reaches 1 (for shared machines; 0 = steps only, fully deterministic)')
    ap.add_argument('--channels-last', type=int, choices=(0, 1), default=1,
                    help='1: weights and training batches in channels-last (NHWC) memory order, which oneDNN\'s CPU '
                         'convolutions run faster; 0: the NCHW order of the runs before v17. Exported bundles are NCHW '
                         'either way')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=1234)
    ap.add_argument('--name', default='clipsearch-default-v29-tower')
    ap.add_argument('--checkpoint', default=os.path.join(HERE, 'work', 'checkpoint.pt'))
    ap.add_argument('--bench', action='store_true',
                    help="only measure the network's forward and backward speed on random input "
                         '(training/bench_speed.sh times whole training steps on the data)')
    a = ap.parse_args()
    if a.cycles < 1:
        ap.error('--cycles must be 1 or more')
    if a.init and not all(os.path.isfile(os.path.join(a.init, f)) for f in ('image.pt', 'clipsearch-model.json')):
        ap.error(f'--init {a.init}: not a bundle folder (image.pt and clipsearch-model.json)')
    if a.bank_negatives < 0 or (a.bank_negatives and a.loss != 'softmax'):
        ap.error('--bank-negatives must be 0 or more, and needs --loss softmax (add --bank-negatives 0 to '
                 '--loss sigmoid)')
    if a.emoji_share >= 1:
        ap.error('--emoji-share must be below 1 (the share of emoji among openclipart and emoji images per epoch)')
    if not 0 <= a.text_soft <= 1 or (a.text_soft and a.loss != 'softmax'):
        ap.error('--text-soft must be between 0 and 1, and needs --loss softmax (the sigmoid loss has no target '
                 'distribution to soften)')

    if a.memory_alpha < 0 or a.memory_plain < 0 or a.memory_k < 1 or a.memory_refresh < 1 or not 0 <= a.memory_from < 1:
        ap.error('--memory-alpha and --memory-plain must be 0 or more, --memory-k and --memory-refresh 1 or more, '
                 '--memory-from in 0..1')

    torch.set_num_threads(a.threads)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    g = torch.Generator().manual_seed(a.seed)

    model = ImageTower(tuple(int(x) for x in a.widths.split(',')), tuple(int(x) for x in a.depths.split(',')),
                       drop_path=a.drop_path, dropout=a.dropout)
    nparams = sum(p.numel() for p in model.parameters())
    # SigLIP starts its scale at 10 and its bias at -10, so that the many negative pairs begin near probability 0
    logit_scale = nn.Parameter(torch.tensor(math.log(10 if a.loss == 'sigmoid' else 1 / 0.07)))
    logit_bias = nn.Parameter(torch.tensor(-10.0))
    if a.init:
        # The bundle's TorchScript keeps the parameter names of the Exported wrapper ("tower.<name>"), and its manifest
        # the learned temperature, so a finished run is resumed as a tower, not as a fresh start at scale 1/0.07.
        weights = torch.jit.load(os.path.join(a.init, 'image.pt')).state_dict()
        try:
            model.load_state_dict({k.removeprefix('tower.'): v for k, v in weights.items()})
        except RuntimeError as e:
            ap.error(f'--init {a.init}: its tower is not one of --widths {a.widths} --depths {a.depths} (an ensemble '
                     f'bundle cannot be resumed): {str(e)[:200]}')
        with open(os.path.join(a.init, 'clipsearch-model.json')) as f:
            logit_scale.data.fill_(math.log(json.load(f)['logit_scale']))

    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    model.to(memory_format=fmt)

    if a.bench:
        x = torch.randn(a.batch, 3, a.size, a.size).contiguous(memory_format=fmt)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        for i in range(6):
            if i == 2:
                t0 = time.time()
            loss = model(x).square().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        dt = (time.time() - t0) / 4
        print(f'params {nparams / 1e6:.2f}M  {a.batch / dt:.0f} images/s training')
        return

    os.makedirs(os.path.dirname(os.path.abspath(a.checkpoint)), exist_ok=True)
    # the bundle's resize_mode that the inference-view share of training shows, and the held-out images are shown by
    resize_mode = 'pad' if a.pad_max_aspect else 'shortest'
    data = load(a.data, a.size, resize_mode, a.pad_max_aspect)
    emoji_ids = data['emoji'].nonzero().flatten()
    other_ids = (~data['emoji']).nonzero().flatten()
    # every caption training can draw (the images' own, the composites', the recolourings'), never a held-out one
    bank = (torch.cat([data['cap_flat'], data['pairs'][:, 2], data['recolour'][data['recolour'] >= 0]]).unique()
            if a.bank_negatives else None)
    if a.emoji_share < 0:
        n_emoji = len(emoji_ids)
    else:
        n_emoji = min(len(emoji_ids), round(a.emoji_share / (1 - a.emoji_share) * len(other_ids)))
    n = len(other_ids) + n_emoji          # images per epoch
    steps_per_epoch = n // a.batch
    total = steps_per_epoch * a.epochs
    if a.max_steps:
        total = min(total, a.max_steps)
    print(f'{len(other_ids)} openclipart + {n_emoji} of {len(emoji_ids)} emoji images per epoch, '
          f'{data["text"].shape[0]} texts, {len(data["hold_q"])} held out; model '
          f'{nparams / 1e6:.2f}M params; {total} steps of {a.batch}', flush=True)

    decay = [p for nm, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for nm, p in model.named_parameters() if p.ndim <= 1]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': a.wd}, {'params': no_decay, 'weight_decay': 0},
                             {'params': [logit_scale] + ([logit_bias] if a.loss == 'sigmoid' else []),
                              'weight_decay': 0}], lr=a.lr, betas=(0.9, 0.98))
    warm = min(500, total // 10 + 1)
    # Late in training the held-out recall stalls while the training loss still falls; an average of the weights over
    # the last ~1/(1-decay) steps is the usual remedy. Measured (docs/model-experiments.md): ahead of the last weights
    # for most of a run, level with them at the end of the cosine schedule. BatchNorm statistics are averaged too.
    averaged = copy.deepcopy(model) if a.ema > 0 else None
    exported = averaged if averaged is not None else model    # the weights that a bundle gets

    def update_average(step):
        d = min(a.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for ea, v in zip(averaged.state_dict().values(), model.state_dict().values()):
                if ea.dtype.is_floating_point:
                    ea.mul_(d).add_(v, alpha=1 - d)
                else:
                    ea.copy_(v)

    clock_led = False   # whether the wall clock ever set the schedule: then a rerun will not follow the same steps

    def progress(step):
        nonlocal clock_led
        p = step / total
        if a.minutes:
            clock = (time.time() - t0) / (60 * a.minutes)
            # the warm-up follows the steps alone: before its end the clock sets nothing
            if clock > p and step >= warm:
                clock_led = True
            p = max(p, clock)
        return min(1.0, p)

    def cycle_of(p):
        return min(int(p * a.cycles), a.cycles - 1)

    def lr_at(step):
        if step < warm:
            return a.lr * (step + 1) / warm
        if a.cycles == 1:
            w = warm / total
            return a.lr * 0.5 * (1 + math.cos(math.pi * max(0.0, progress(step) - w) / (1 - w)))
        # Snapshot ensemble (Huang et al., 2017): each cycle warms up again over the same steps and anneals to zero,
        # so that its end is a separate low-loss tower to average with the others.
        p = progress(step)                    # read once: the clock moves between two reads
        within = p * a.cycles - cycle_of(p)   # 0..1 inside the cycle
        w = warm * a.cycles / total
        if within < w:
            return a.lr * max(within, 1 / total) / w
        return a.lr * 0.5 * (1 + math.cos(math.pi * (within - w) / (1 - w)))

    def export(tower, out, name):
        """Writes `tower` as a clipsearch bundle (TorchScript + manifest) in `out`; training goes on unchanged."""
        # NCHW, the order the Java encoder's tensors come in, whichever order training kept the weights in
        plain = copy.deepcopy(tower).to(memory_format=torch.contiguous_format)
        traced = torch.jit.trace(Exported(plain).eval(), torch.zeros(1, 3, a.size, a.size))
        os.makedirs(out, exist_ok=True)
        traced.save(os.path.join(out, 'image.pt'))
        manifest = {
            'format': 1, 'name': name, 'embedding_dim': DIM, 'logit_scale': round(float(logit_scale.exp()), 4),
            'image': {'file': 'image.pt', 'engine': 'PyTorch', 'input_names': ['image'], 'size': [a.size, a.size],
                      'resize_mode': resize_mode, 'interpolation': 'bicubic', 'mean': MEAN, 'std': STD},
            'text': {'file': '/all-minilm-l6-v2-q.onnx', 'engine': 'OnnxRuntime',
                     'input_names': ['input_ids', 'attention_mask', 'token_type_ids'], 'input_type': 'int64',
                     'tokenizer': '/all-minilm-l6-v2-q-tokenizer.json', 'max_length': 128, 'padding': 'longest',
                     'truncation': True, 'pooling': 'mean'},
        }
        if a.pad_max_aspect:
            manifest['image']['pad_max_aspect'] = a.pad_max_aspect
        with open(os.path.join(out, 'clipsearch-model.json'), 'w') as f:
            json.dump(manifest, f, indent=2)
            f.write('\n')
        return out

    memory = TrainingMemory(data, a.size, a.memory_k, a.memory_beta, a.memory_alpha) if a.memory_alpha else None
    memory_start = round(a.memory_from * total)
    if memory is not None:
        print(f'memory of {len(memory.views)} training images ({int(memory.group.max()) + 1} distinct) from step '
              f'{memory_start}, alpha {a.memory_alpha}, k {a.memory_k}, beta {a.memory_beta}', flush=True)

    print('step 0', json.dumps(evaluate(model, data)), flush=True)
    if memory is not None:
        # with --init and --epochs 0, the starting tower's number on the measure the run's eval-memory lines take
        print('step 0 eval-memory', json.dumps(evaluate(model, data, memory)), flush=True)
    t0 = time.time()
    stop = False
    step, smooth_loss = 0, None
    best = best_memory = None
    cycle, snapshots = 0, []
    snapshot_base = os.path.splitext(a.checkpoint)[0]
    while step < total and not stop:
        pick_emoji = emoji_ids[torch.randperm(len(emoji_ids), generator=g)[:n_emoji]]
        pick_other = other_ids
        if a.title_balance > 0:      # drawn only when asked for, so that runs without it keep their random stream
            weight = data['same_title'][other_ids].pow(-a.title_balance)
            pick_other = other_ids[torch.multinomial(weight, len(other_ids), replacement=True, generator=g)]
        epoch_ids = torch.cat([pick_other, pick_emoji])
        perm = epoch_ids[torch.randperm(n, generator=g)]
        for bi in range(steps_per_epoch):
            if step >= total or progress(step) >= 1.0:
                stop = True
                break
            ids = perm[bi * a.batch:(bi + 1) * a.batch]
            cnt = data['cap_off'][ids + 1] - data['cap_off'][ids]
            pick = (torch.rand(len(ids), generator=g) * cnt).long().clamp(max=cnt - 1)
            pick = torch.where(torch.rand(len(ids), generator=g) < a.title_prob, 0, pick)   # caption 0: the title
            pick = data['cap_off'][ids] + pick
            tids = data['cap_flat'][pick]
            recolour = None     # drawn only when asked for, so that runs without it keep their random stream
            if a.hue_prob > 0:
                recolour = (torch.rand(len(ids), generator=g) < a.hue_prob) & ~data['names_colour'][tids]
            rgba, box, noflip = data['rgba'][ids], data['box'][ids], data['noflip'][ids]
            turn = whole = None  # like recolour: random numbers are drawn only for the levers asked for
            if a.recolour_prob > 0:
                k = torch.randint(len(data['colour_angle']), (len(ids),), generator=g)
                named = data['recolour'][ids, k]
                chosen = (torch.rand(len(ids), generator=g) < a.recolour_prob) & (named >= 0)
                tids = torch.where(chosen, named, tids)
                turn = torch.where(chosen, data['colour_angle'][k] - data['hue'][ids], float('nan'))
                if recolour is not None:
                    recolour &= ~chosen
            composite_pairs = None
            if a.composite_prob > 0:
                whole = torch.rand(len(ids), generator=g) < a.composite_prob
                if whole.any():
                    pairs = composite_pairs = data['pairs'][torch.randint(len(data['pairs']), (int(whole.sum()),),
                                                                          generator=g)]
                    rgba, box, noflip = rgba.clone(), box.clone(), noflip.clone()
                    rgba[whole], box[whole] = compose(data['rgba'], data['box'], pairs[:, 0], pairs[:, 1], g)
                    noflip[whole] = data['noflip'][pairs[:, 0]] | data['noflip'][pairs[:, 1]]
                    tids = tids.clone()
                    tids[whole] = pairs[:, 2]
                    if turn is not None:
                        turn[whole] = float('nan')
                    if recolour is not None:
                        recolour &= ~whole
            t = data['text'][tids]
            x = augment(rgba, box, noflip, a.size, g, recolour=recolour, turn=turn, whole=whole, rotate=a.rotate,
                        zoom_out=a.zoom_out, pad_max_aspect=a.pad_max_aspect).contiguous(
                memory_format=fmt)
            for gr in opt.param_groups:
                gr['lr'] = lr_at(step)
            if memory is not None and step >= memory_start:
                if (step - memory_start) % a.memory_refresh == 0:
                    memory.refresh(model)
                own = memory.group[ids]
                exclude = torch.stack([own, own], 1)
                if composite_pairs is not None:
                    exclude[whole] = memory.group[composite_pairs[:, :2]]
                e, pooled = model.embedding_and_pooled(x)
                z = memory.mix(e, pooled, exclude=exclude)
                # the tower's own embedding, which the bundle adds to the memory's, trained alone as well
                plain = F.normalize(e, dim=-1) if a.memory_plain else None
            else:
                z, plain = F.normalize(model(x), dim=-1), None
            scale = logit_scale.exp()
            # texts that (nearly) coincide are all positives: soft targets
            text_sim = t @ t.T
            pos = (text_sim > SAME_TEXT).float()
            if a.title_positives:
                # caption 0 of every image is its title; a composite's is its own caption, a recolouring's the
                # caption naming the new colour (another image with the same title is not that colour)
                title = data['cap_flat'][data['cap_off'][ids]]
                if whole is not None:
                    title = torch.where(whole, tids, title)
                if turn is not None:
                    title = torch.where(turn.isnan(), title, tids)
                tt = data['text'][title]
                # titles differing only in case embed alike (uncased MiniLM), so they are compared like the texts
                pos = torch.maximum(pos, ((tt @ tt.T) > SAME_TEXT).float())
            te = bank_pos = bank_sim = None
            if a.bank_negatives:
                # With the text tower frozen, any training caption is a consistent negative (unlike MoCo's queue
                # of stale keys), so the image-to-text half can be a softmax over far more texts than the batch
                # holds; drawn captions that nearly coincide with a row's own count as its positives, as in the
                # batch.
                te = data['text'][bank[torch.randint(len(bank), (a.bank_negatives,), generator=g)]]
                bank_sim = t @ te.T
                bank_pos = bank_sim > SAME_TEXT

            def contrastive(z):
                logits = scale * z @ t.T
                if a.loss == 'sigmoid':
                    # every pair is its own binary decision, so coinciding captions are simply more positives
                    return -F.logsigmoid((2 * pos - 1) * (logits + logit_bias)).sum() / len(ids)
                # pos is symmetric: row i of pos holds the positives of image i and of caption i alike
                bank_logits = None if te is None else scale * z @ te.T
                if a.text_soft > 0:
                    return 0.5 * (text_soft_cross_entropy(logits, pos, text_sim, a.text_soft, a.text_soft_scale,
                                                          bank_logits, bank_pos, bank_sim)
                                  + text_soft_cross_entropy(logits.T, pos, text_sim, a.text_soft, a.text_soft_scale))
                return 0.5 * (soft_cross_entropy(logits, pos, bank_logits, bank_pos)
                              + soft_cross_entropy(logits.T, pos))

            loss = contrastive(z)
            if plain is not None:
                loss = loss + a.memory_plain * contrastive(plain)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                logit_scale.clamp_(0, math.log(100))
            if averaged is not None:
                update_average(step)
            step += 1
            now = cycle_of(progress(step)) if a.cycles > 1 else 0
            if now > cycle:
                snapshots.append(export(exported, f'{snapshot_base}-cycle-{cycle + 1}',
                                        f'{a.name}-cycle-{cycle + 1}'))
                print(f'step {step} cycle {cycle + 1} ended: {snapshots[-1]}', flush=True)
                cycle = now
            smooth_loss = loss.item() if smooth_loss is None else 0.98 * smooth_loss + 0.02 * loss.item()
            if step % 50 == 0:
                el = time.time() - t0
                print(f'step {step}/{total} epoch {step / steps_per_epoch:.2f} loss {smooth_loss:.4f} scale '
                      f'{logit_scale.exp().item():.1f} lr {lr_at(step):.2e} {step * a.batch / el:.0f} img/s '
                      f'progress {progress(step):.3f} eta {el / progress(step) * (1 - progress(step)) / 60:.1f} min',
                      flush=True)
            if step % a.eval_every == 0 or step == total or progress(step) >= 1.0:
                r = evaluate(model, data)
                print(f'step {step} eval', json.dumps(r), flush=True)
                state = {'model': model.state_dict(), 'logit_scale': logit_scale.detach(),
                         'logit_bias': logit_bias.detach(), 'step': step,
                         'args': vars(a), 'eval': r}
                if averaged is not None:
                    state['eval_trained'] = r
                    r = state['eval'] = evaluate(averaged, data)
                    state['model_trained'], state['model'] = state['model'], averaged.state_dict()
                    print(f'step {step} eval-average', json.dumps(r), flush=True)
                if memory is not None and step >= memory_start:
                    # the weights a bundle gets, through a memory keyed by them, as memory_bundle.py would build it
                    state['eval_memory'] = evaluate(exported, data, memory)
                    print(f'step {step} eval-memory', json.dumps(state['eval_memory']), flush=True)
                torch.save(state, a.checkpoint)
                best, best_memory = r, state.get('eval_memory')

    # ---- export
    if a.cycles == 1:
        export(exported, a.out, a.name)
        reference = Exported(copy.deepcopy(exported)).eval()
    else:
        snapshots.append(export(exported, f'{snapshot_base}-cycle-{a.cycles}', f'{a.name}-cycle-{a.cycles}'))
        ensemble_bundle.write_ensemble(a.out, snapshots, a.name)
        reference = None     # write_ensemble checks the ensemble against its members itself
        best = evaluate(torch.jit.load(os.path.join(a.out, 'image.pt')), data)
        print('ensemble of the cycles eval', json.dumps(best), flush=True)
    # check the traced model against the eager one, and measure CPU inference speed at batch 32
    loaded = torch.jit.load(os.path.join(a.out, 'image.pt'))
    xb = normalise_u8(data['hold_rgb'][:32])
    with torch.no_grad():
        diff = None if reference is None else (loaded(xb) - reference(xb)).abs().max().item()
        for _ in range(3):
            loaded(xb)
        t1 = time.time()
        reps = 10
        for _ in range(reps):
            loaded(xb)
        ips = 32 * reps / (time.time() - t1)
    size_mb = os.path.getsize(os.path.join(a.out, 'image.pt')) / 1e6
    summary = {'final_eval': best, 'final_eval_memory': best_memory, 'params': nparams,
               'image_pt_mb': round(size_mb, 2), 'inference_images_per_s_batch32': round(ips, 1),
               'traced_max_abs_diff': diff, 'steps': step, 'logit_scale': round(float(logit_scale.exp()), 4),
               'train_minutes': round((time.time() - t0) / 60, 1),
               'schedule_followed_clock': clock_led, 'args': vars(a)}
    print('summary', json.dumps(summary), flush=True)
    # train-summary.json is the latest run's; <checkpoint>.summary.json keeps each run's beside its checkpoint
    for path in (os.path.join(os.path.dirname(a.checkpoint), 'train-summary.json'),
                 os.path.splitext(a.checkpoint)[0] + '.summary.json'):
        with open(path, 'w') as f:
            json.dump(summary, f, indent=2)


if __name__ == '__main__':
    main()
