#!/usr/bin/env python3
"""Export a CLIP checkpoint (image and text towers) to a clipsearch model bundle.

The bundle is the "clipsearch layout" of docs/model-bundles.md: ``image.pt`` and ``text.pt`` (TorchScript, traced
with ``torch.jit.trace``), ``tokenizer.json`` (Hugging Face tokenizers) and the manifest ``clipsearch-model.json``.

Sources:

* ``--source openai --model ViT-B-32``            OpenAI's ``clip`` package (``clip.load(name, jit=False)``)
* ``--source open_clip --model ViT-B-32 --pretrained laion2b_s34b_b79k``   ``open_clip``
* ``--source hf --model openai/clip-vit-base-patch32``                       ``transformers.CLIPModel``
* ``--source random-vit``  a randomly initialised, small re-implementation of OpenAI's CLIP ViT (no downloads); the
  exported files go through exactly the same tracing, checking and manifest code as the real sources.

``--golden FILE`` reloads the saved TorchScript files and writes reference outputs (L2-normalised embeddings of fixed
images and of the token ids in ``--golden-token-ids``) that the Java tests compare against.

Only torch, numpy and Pillow (and torchvision for the OpenAI-style preprocessing pipeline) are needed at import time;
``clip``, ``open_clip`` and ``transformers`` are imported only by the source that uses them.

See encoders/export/README.md.
"""

import argparse
import json
import os
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

MANIFEST = "clipsearch-model.json"
IMAGE_FILE = "image.pt"
TEXT_FILE = "text.pt"
TOKENIZER_FILE = "tokenizer.json"

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
SOT_ID = 49406  # <|startoftext|> in CLIP's BPE vocabulary
EOT_ID = 49407  # <|endoftext|>
OPENAI_PAD_TOKEN = "!"  # id 0 in CLIP's vocabulary; OpenAI CLIP pads token ids with 0
DEFAULT_HF_TOKENIZER = "openai/clip-vit-base-patch32"


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------------------------------
# random-vit: a compact, faithful re-implementation of OpenAI CLIP's model.py (ViT image tower + causal text Transformer)
# ---------------------------------------------------------------------------------------------------------------------


class LayerNorm(nn.LayerNorm):
    """LayerNorm computed in float32 (as in OpenAI CLIP, to handle fp16)."""

    def forward(self, x):
        orig_type = x.dtype
        ret = super().forward(x.type(torch.float32))
        return ret.type(orig_type)


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d_model, n_head, attn_mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(d_model, n_head)
        self.ln_1 = LayerNorm(d_model)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(d_model, d_model * 4)),
            ("gelu", QuickGELU()),
            ("c_proj", nn.Linear(d_model * 4, d_model)),
        ]))
        self.ln_2 = LayerNorm(d_model)
        self.attn_mask = attn_mask

    def attention(self, x):
        mask = self.attn_mask.to(dtype=x.dtype, device=x.device) if self.attn_mask is not None else None
        return self.attn(x, x, x, need_weights=False, attn_mask=mask)[0]

    def forward(self, x):
        x = x + self.attention(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, attn_mask=None):
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, attn_mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class VisionTransformer(nn.Module):
    def __init__(self, input_resolution, patch_size, width, layers, heads, output_dim):
        super().__init__()
        self.input_resolution = input_resolution
        self.output_dim = output_dim
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        scale = width ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((input_resolution // patch_size) ** 2 + 1, width))
        self.ln_pre = LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, x):
        x = self.conv1(x)  # [N, width, grid, grid]
        x = x.reshape(x.shape[0], x.shape[1], -1)  # [N, width, grid ** 2]
        x = x.permute(0, 2, 1)  # [N, grid ** 2, width]
        cls = self.class_embedding.to(x.dtype) + torch.zeros(x.shape[0], 1, x.shape[-1], dtype=x.dtype, device=x.device)
        x = torch.cat([cls, x], dim=1)  # [N, grid ** 2 + 1, width]
        x = x + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x)
        x = x.permute(1, 0, 2)  # NLD -> LND
        x = self.transformer(x)
        x = x.permute(1, 0, 2)  # LND -> NLD
        x = self.ln_post(x[:, 0, :])
        if self.proj is not None:
            x = x @ self.proj
        return x


class RandomViTCLIP(nn.Module):
    """OpenAI CLIP (model.py ``CLIP``) with a ViT image tower, same parameter names and initialisation."""

    def __init__(self, embed_dim, image_resolution, vision_layers, vision_width, vision_patch_size, vision_heads,
                 context_length, vocab_size, transformer_width, transformer_heads, transformer_layers):
        super().__init__()
        self.context_length = context_length
        # OpenAI uses vision_heads = vision_width // 64; here it is a parameter so that tiny widths get several heads.
        self.visual = VisionTransformer(image_resolution, vision_patch_size, vision_width, vision_layers, vision_heads,
                                        embed_dim)
        self.transformer = Transformer(transformer_width, transformer_layers, transformer_heads,
                                       attn_mask=self.build_attention_mask())
        self.vocab_size = vocab_size
        self.token_embedding = nn.Embedding(vocab_size, transformer_width)
        self.positional_embedding = nn.Parameter(torch.empty(self.context_length, transformer_width))
        self.ln_final = LayerNorm(transformer_width)
        self.text_projection = nn.Parameter(torch.empty(transformer_width, embed_dim))
        self.logit_scale = nn.Parameter(torch.ones([]) * np.log(1 / 0.07))
        self.initialize_parameters()

    def initialize_parameters(self):
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        proj_std = (self.transformer.width ** -0.5) * ((2 * self.transformer.layers) ** -0.5)
        attn_std = self.transformer.width ** -0.5
        fc_std = (2 * self.transformer.width) ** -0.5
        for block in self.transformer.resblocks:
            nn.init.normal_(block.attn.in_proj_weight, std=attn_std)
            nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
            nn.init.normal_(block.mlp.c_fc.weight, std=fc_std)
            nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)
        if self.text_projection is not None:
            nn.init.normal_(self.text_projection, std=self.transformer.width ** -0.5)

    def build_attention_mask(self):
        # causal mask: each token attends to itself and the tokens before it
        mask = torch.empty(self.context_length, self.context_length)
        mask.fill_(float("-inf"))
        mask.triu_(1)
        return mask

    @property
    def dtype(self):
        return self.visual.conv1.weight.dtype

    def encode_image(self, image):
        return self.visual(image.type(self.dtype))

    def encode_text(self, text):
        x = self.token_embedding(text).type(self.dtype)  # [N, L, width]
        x = x + self.positional_embedding.type(self.dtype)
        x = x.permute(1, 0, 2)  # NLD -> LND
        x = self.transformer(x)
        x = x.permute(1, 0, 2)  # LND -> NLD
        x = self.ln_final(x).type(self.dtype)
        # features of the end-of-text token (the highest id in each sequence)
        x = x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection
        return x


def openai_transform(n_px):
    """OpenAI CLIP's ``_transform`` (clip/clip.py), used as random-vit's own preprocessing."""
    from torchvision.transforms import CenterCrop, Compose, InterpolationMode, Normalize, Resize, ToTensor
    return Compose([
        Resize(n_px, interpolation=InterpolationMode.BICUBIC),
        CenterCrop(n_px),
        lambda image: image.convert("RGB"),
        ToTensor(),
        Normalize(OPENAI_MEAN, OPENAI_STD),
    ])


# ---------------------------------------------------------------------------------------------------------------------
# Loading: every source yields an ExportSpec with the same fields, consumed by the same export code
# ---------------------------------------------------------------------------------------------------------------------


class ExportSpec:
    def __init__(self, name, model, encode_image, encode_text, image_param_prefixes, unused_param_names, preprocess,
                 context_length, vocab_size, pad_token, logit_scale, tokenizer_writer, reference_tokenize=None):
        self.name = name
        self.model = model  # nn.Module holding both towers
        self.encode_image = encode_image  # callable(model, image) -> N x D
        self.encode_text = encode_text  # callable(model, input_ids) -> N x D
        self.image_param_prefixes = image_param_prefixes  # parameter/buffer names of the image tower start with these
        self.unused_param_names = unused_param_names  # used by neither tower (logit_scale)
        self.preprocess = preprocess  # dict: size, resize_mode, interpolation, mean, std
        self.context_length = context_length
        self.vocab_size = vocab_size
        self.pad_token = pad_token
        self.logit_scale = logit_scale
        self.tokenizer_writer = tokenizer_writer  # callable(path) -> tokenizer object with encode(), or None
        self.reference_tokenize = reference_tokenize  # callable(list[str]) -> list[list[int]] (the source's own)


def _interpolation_name(value):
    """torchvision InterpolationMode, a PIL resample constant or a string -> 'bicubic' | 'bilinear' | 'nearest'."""
    if hasattr(value, "value"):
        value = value.value
    if isinstance(value, int):
        value = {0: "nearest", 2: "bilinear", 3: "bicubic"}.get(value, str(value))
    value = str(value).lower()
    if value not in ("bicubic", "bilinear", "nearest"):
        raise ValueError("interpolation %r is not supported by clipsearch (bicubic, bilinear, nearest)" % value)
    return value


def _pair(size):
    if isinstance(size, int):
        return [size, size]
    size = list(size)
    return [size[0], size[0]] if len(size) == 1 else [int(size[0]), int(size[1])]


def preprocess_from_transforms(transform):
    """Reads size / resize mode / interpolation / mean / std from a torchvision Compose (OpenAI's and OpenCLIP's)."""
    from torchvision import transforms as T
    resize = crop = normalize = None
    for t in getattr(transform, "transforms", [transform]):
        if isinstance(t, T.Resize):
            resize = t
        elif isinstance(t, T.CenterCrop):
            crop = t
        elif isinstance(t, T.Normalize):
            normalize = t
        elif type(t).__name__ in ("ResizeKeepRatio", "ResizeMaxSize"):
            raise ValueError("preprocessing %s (resize to the longest side / letterbox) is not supported by clipsearch"
                             % type(t).__name__)
    if resize is None or normalize is None:
        raise ValueError("cannot read Resize/Normalize from the model's transform: %r" % (transform,))
    resize_size = resize.size
    shortest = isinstance(resize_size, int) or len(resize_size) == 1
    size = _pair(crop.size) if crop is not None else _pair(resize_size)
    return {
        "size": size,
        "resize_mode": "shortest" if shortest else "squash",
        "interpolation": _interpolation_name(resize.interpolation),
        "mean": [float(v) for v in normalize.mean],
        "std": [float(v) for v in normalize.std],
    }


def _hf_clip_tokenizer_writer(repo_or_dir):
    def write(path):
        from transformers import CLIPTokenizerFast
        tok = CLIPTokenizerFast.from_pretrained(repo_or_dir)
        tok.backend_tokenizer.save(path)
        if tok.convert_tokens_to_ids(OPENAI_PAD_TOKEN) != 0:
            raise ValueError("%r: token %r is not id 0; this is not CLIP's BPE vocabulary" % (repo_or_dir, OPENAI_PAD_TOKEN))
        return tok
    return write


def load_openai(args):
    import clip  # https://github.com/openai/CLIP
    # accept OpenCLIP-style names too: ViT-B-32 -> ViT-B/32, ViT-L-14-336 / ViT-L-14-336px -> ViT-L/14@336px
    wanted = args.model
    for available in clip.available_models():
        spelled = available.replace("/", "-").replace("@", "-")
        if args.model in (available, spelled, spelled.replace("px", "")):
            wanted = available
    model, preprocess = clip.load(wanted, device="cpu", jit=False)
    model = model.float().eval()
    return ExportSpec(
        name=args.name or "openai-" + args.model.replace("/", "-"),
        model=model,
        encode_image=lambda m, x: m.encode_image(x),
        encode_text=lambda m, t: m.encode_text(t),
        image_param_prefixes=("visual.",),
        unused_param_names=("logit_scale",),
        preprocess=preprocess_from_transforms(preprocess),
        context_length=int(model.context_length),
        vocab_size=int(model.vocab_size),
        pad_token=OPENAI_PAD_TOKEN,
        logit_scale=float(model.logit_scale.detach().exp()),
        tokenizer_writer=_hf_clip_tokenizer_writer(args.tokenizer or DEFAULT_HF_TOKENIZER),
        reference_tokenize=lambda texts: clip.tokenize(texts, truncate=True).tolist(),
    )


def load_open_clip(args):
    import open_clip  # https://github.com/mlfoundations/open_clip
    model, _, preprocess = open_clip.create_model_and_transforms(args.model, pretrained=args.pretrained, device="cpu")
    model = model.float().eval()
    visual = model.visual
    cfg = getattr(visual, "preprocess_cfg", None)
    if cfg:
        mode = cfg.get("resize_mode", "shortest")
        if mode not in ("shortest", "squash"):
            raise ValueError("open_clip resize_mode %r is not supported by clipsearch (shortest, squash)" % mode)
        pre = {
            "size": _pair(cfg["size"]),
            "resize_mode": mode,
            "interpolation": _interpolation_name(cfg.get("interpolation", "bicubic")),
            "mean": [float(v) for v in cfg["mean"]],
            "std": [float(v) for v in cfg["std"]],
        }
    else:
        pre = preprocess_from_transforms(preprocess)
    tokenizer = open_clip.get_tokenizer(args.model)
    context_length = int(getattr(model, "context_length", None) or getattr(tokenizer, "context_length", 77))
    hf_inner = getattr(tokenizer, "tokenizer", None)
    if hf_inner is not None and hasattr(hf_inner, "backend_tokenizer"):
        # text tower with a Hugging Face tokenizer (e.g. XLM-R): export that tokenizer and its pad token
        def write(path, tok=hf_inner):
            tok.backend_tokenizer.save(path)
            return tok
        tokenizer_writer, pad_token = write, hf_inner.pad_token
    else:
        tokenizer_writer, pad_token = _hf_clip_tokenizer_writer(args.tokenizer or DEFAULT_HF_TOKENIZER), OPENAI_PAD_TOKEN
    name = "open_clip-" + args.model.replace("/", "-") + ("-" + args.pretrained if args.pretrained else "")
    return ExportSpec(
        name=args.name or name,
        model=model,
        encode_image=lambda m, x: m.encode_image(x),
        encode_text=lambda m, t: m.encode_text(t),
        image_param_prefixes=("visual.",),
        unused_param_names=("logit_scale", "logit_bias"),
        preprocess=pre,
        context_length=context_length,
        vocab_size=int(getattr(model, "vocab_size", 0) or 0) or None,
        pad_token=pad_token,
        logit_scale=float(model.logit_scale.detach().exp()),
        tokenizer_writer=tokenizer_writer,
        reference_tokenize=lambda texts: tokenizer(texts).tolist(),
    )


def _hf_features(out, attr):
    """get_*_features returns a tensor (transformers 4.x) or a model output (newer versions)."""
    if isinstance(out, torch.Tensor):
        return out
    for key in (attr, "pooler_output"):
        value = getattr(out, key, None)
        if isinstance(value, torch.Tensor):
            return value
    return out[0]


def load_hf(args):
    from transformers import CLIPImageProcessor, CLIPModel, CLIPTokenizerFast
    try:
        model = CLIPModel.from_pretrained(args.model, attn_implementation="eager")
    except (TypeError, ValueError):
        model = CLIPModel.from_pretrained(args.model)
    model = model.float().eval()
    processor = CLIPImageProcessor.from_pretrained(args.model)
    tokenizer = CLIPTokenizerFast.from_pretrained(args.tokenizer or args.model)
    size = processor.size if isinstance(processor.size, dict) else {"shortest_edge": processor.size}
    crop = processor.crop_size if isinstance(processor.crop_size, dict) else {"height": processor.crop_size,
                                                                             "width": processor.crop_size}
    if getattr(processor, "do_center_crop", True) and "shortest_edge" in size:
        pre_size, mode = [int(crop["height"]), int(crop["width"])], "shortest"
        if int(size["shortest_edge"]) != min(pre_size):
            raise ValueError("resize to %s then crop to %s is not expressible in the manifest" % (size, crop))
    elif "height" in size and "width" in size:
        pre_size, mode = [int(size["height"]), int(size["width"])], "squash"
    else:
        raise ValueError("unsupported image processor sizes: size=%r crop_size=%r" % (size, crop))

    def write(path):
        tokenizer.backend_tokenizer.save(path)
        return tokenizer

    def reference_tokenize(texts):
        return tokenizer(texts, padding="max_length", truncation=True,
                         max_length=model.config.text_config.max_position_embeddings)["input_ids"]

    return ExportSpec(
        name=args.name or "hf-" + args.model.replace("/", "-"),
        model=model,
        encode_image=lambda m, x: _hf_features(m.get_image_features(pixel_values=x), "image_embeds"),
        encode_text=lambda m, t: _hf_features(m.get_text_features(input_ids=t), "text_embeds"),
        image_param_prefixes=("vision_model.", "visual_projection."),
        unused_param_names=("logit_scale",),
        preprocess={
            "size": pre_size,
            "resize_mode": mode,
            "interpolation": _interpolation_name(processor.resample),
            "mean": [float(v) for v in processor.image_mean],
            "std": [float(v) for v in processor.image_std],
        },
        context_length=int(model.config.text_config.max_position_embeddings),
        vocab_size=int(model.config.text_config.vocab_size),
        pad_token=tokenizer.pad_token,
        logit_scale=float(model.logit_scale.detach().exp()),
        tokenizer_writer=write,
        reference_tokenize=reference_tokenize,
    )


def load_random_vit(args):
    torch.manual_seed(args.seed)
    model = RandomViTCLIP(
        embed_dim=args.embed_dim,
        image_resolution=args.image_size,
        vision_layers=args.vision_layers,
        vision_width=args.vision_width,
        vision_patch_size=args.patch_size,
        vision_heads=args.vision_heads,
        context_length=args.context_length,
        vocab_size=args.vocab_size,
        transformer_width=args.text_width,
        transformer_heads=args.text_heads,
        transformer_layers=args.text_layers,
    ).float().eval()
    return ExportSpec(
        name=args.name or "random-vit-seed%d" % args.seed,
        model=model,
        encode_image=lambda m, x: m.encode_image(x),
        encode_text=lambda m, t: m.encode_text(t),
        image_param_prefixes=("visual.",),
        unused_param_names=("logit_scale",),
        preprocess=preprocess_from_transforms(openai_transform(args.image_size)),
        context_length=args.context_length,
        vocab_size=args.vocab_size,
        pad_token=OPENAI_PAD_TOKEN,
        logit_scale=float(model.logit_scale.detach().exp()),
        tokenizer_writer=None,  # no vocabulary here: the consumer supplies CLIP's tokenizer.json
    )


LOADERS = {"openai": load_openai, "open_clip": load_open_clip, "hf": load_hf, "random-vit": load_random_vit}


# ---------------------------------------------------------------------------------------------------------------------
# Export (shared by all sources)
# ---------------------------------------------------------------------------------------------------------------------


class ImageTower(nn.Module):
    def __init__(self, model, fn):
        super().__init__()
        self.model = model
        self._fn = fn

    def forward(self, image):
        return self._fn(self.model, image)


class TextTower(nn.Module):
    def __init__(self, model, fn):
        super().__init__()
        self.model = model
        self._fn = fn

    def forward(self, input_ids):
        return self._fn(self.model, input_ids)


class _BlankParameters:
    """Temporarily replaces the given parameters/buffers by empty tensors.

    A traced module keeps every parameter of the module it was traced from, used or not; blanking the other tower's
    weights while tracing keeps each file to its own tower. A weight blanked by mistake makes the trace fail.
    """

    def __init__(self, model, predicate):
        self.model = model
        self.predicate = predicate
        self.saved = []

    def __enter__(self):
        for mod_name, module in self.model.named_modules():
            for store in (module._parameters, module._buffers):
                for key, value in list(store.items()):
                    full = (mod_name + "." if mod_name else "") + key
                    if value is not None and self.predicate(full):
                        self.saved.append((store, key, value))
                        empty = torch.empty(0, dtype=value.dtype)
                        store[key] = nn.Parameter(empty, requires_grad=False) if store is module._parameters else empty
        return self

    def __exit__(self, *exc):
        for store, key, value in reversed(self.saved):
            store[key] = value
        self.saved = []
        return False


def example_token_ids(batch, context_length, vocab_size, seed, pad_id=0):
    """Token id rows shaped like real CLIP input: SOT, a few ids, EOT, then padding; EOT at different positions."""
    g = torch.Generator().manual_seed(seed)
    high = min(vocab_size or SOT_ID, SOT_ID)
    rows = []
    for i in range(batch):
        n = 1 + (3 + 5 * i) % max(1, context_length - 2)
        body = torch.randint(1, high, (n,), generator=g).tolist()
        row = [SOT_ID] + body + [EOT_ID]
        rows.append(row[:context_length] + [pad_id] * (context_length - len(row)))
    return torch.tensor(rows, dtype=torch.int64)


def _is_image_param(spec, name):
    return any(name.startswith(p) for p in spec.image_param_prefixes)


def _is_unused(spec, name):
    return name in spec.unused_param_names


def trace_towers(spec):
    model = spec.model
    h, w = spec.preprocess["size"]
    g = torch.Generator().manual_seed(1234)
    image_example = torch.randn(2, 3, h, w, generator=g)
    text_example = example_token_ids(2, spec.context_length, spec.vocab_size, seed=1234)

    with torch.no_grad():
        with _BlankParameters(model, lambda n: not _is_image_param(spec, n)):
            image_ts = torch.jit.trace(ImageTower(model, spec.encode_image), (image_example,), check_trace=False)
        with _BlankParameters(model, lambda n: _is_image_param(spec, n) or _is_unused(spec, n)):
            text_ts = torch.jit.trace(TextTower(model, spec.encode_text), (text_example,), check_trace=False)
    return image_ts, text_ts


def _max_rel_err(a, b):
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))


def verify_towers(spec, image_ts, text_ts):
    """Compares the (saved and reloaded) towers with the eager model at other batch sizes than the trace's."""
    model = spec.model
    h, w = spec.preprocess["size"]
    g = torch.Generator().manual_seed(4321)
    dims = set()
    with torch.no_grad():
        for batch in (1, 3):
            images = torch.randn(batch, 3, h, w, generator=g)
            ids = example_token_ids(batch, spec.context_length, spec.vocab_size, seed=4321 + batch)
            got_i, want_i = image_ts(images), spec.encode_image(model, images)
            got_t, want_t = text_ts(ids), spec.encode_text(model, ids)
            for what, got, want in (("image", got_i, want_i), ("text", got_t, want_t)):
                if got.dim() != 2 or got.shape != want.shape:
                    raise RuntimeError("%s tower: traced output %s, eager %s" % (what, tuple(got.shape), tuple(want.shape)))
                err = _max_rel_err(got, want)
                if err > 1e-4:
                    raise RuntimeError("%s tower (batch %d): traced output differs from eager by %.3g" % (what, batch, err))
                dims.add(int(got.shape[1]))
    if len(dims) != 1:
        raise RuntimeError("towers disagree on the embedding dimension: %s" % sorted(dims))
    return dims.pop()


def _f32(x):
    """float32 value as the shortest decimal that reads back to the same float32."""
    return float(str(np.float32(x)))


def _f32_list(values):
    return [_f32(v) for v in np.asarray(values, dtype=np.float32).reshape(-1)]


def dumps_manifest(value, indent=""):
    """JSON with objects one key a line and lists of numbers or strings on one line."""
    if isinstance(value, dict):
        inner = indent + "  "
        items = ["%s%s: %s" % (inner, json.dumps(k), dumps_manifest(v, inner)) for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
    if isinstance(value, list):
        inner = indent + "  "
        return "[\n" + ",\n".join(inner + dumps_manifest(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False)


def build_manifest(spec, embedding_dim):
    pre = spec.preprocess
    return OrderedDict([
        ("format", 1),
        ("name", spec.name),
        ("embedding_dim", embedding_dim),
        ("logit_scale", _f32(spec.logit_scale)),
        ("image", OrderedDict([
            ("file", IMAGE_FILE),
            ("engine", "PyTorch"),
            ("input_names", ["image"]),
            ("size", [int(v) for v in pre["size"]]),
            ("resize_mode", pre["resize_mode"]),
            ("interpolation", pre["interpolation"]),
            ("mean", [float(v) for v in pre["mean"]]),
            ("std", [float(v) for v in pre["std"]]),
        ])),
        ("text", OrderedDict([
            ("file", TEXT_FILE),
            ("engine", "PyTorch"),
            ("input_names", ["input_ids"]),
            ("input_type", "int64"),
            ("tokenizer", TOKENIZER_FILE),
            ("max_length", int(spec.context_length)),
            ("padding", "max_length"),
            ("truncation", True),
            ("pad_token", spec.pad_token),
            ("pooling", "none"),
        ])),
    ])


def check_tokenizer(spec, tok):
    """Compares the exported tokenizer with the source's own tokenizer on a few strings (warns on a difference)."""
    if spec.reference_tokenize is None or tok is None:
        return
    texts = ["a photo of a cat", "A Diagram, with: punctuation!", "naïve café 1999", "don't stop"]
    try:
        want = spec.reference_tokenize(texts)
    except Exception as e:  # the check is advisory
        log("warning: could not run the source's tokenizer for comparison: %s" % e)
        return
    for text, ref in zip(texts, want):
        ids = list(tok(text)["input_ids"])
        ref = list(ref)
        ref = ref[:ref.index(EOT_ID) + 1] if EOT_ID in ref else ref[:len(ids)]
        if ids != ref:
            log("warning: tokenizer.json and the source's tokenizer differ on %r: %s vs %s" % (text, ids, ref))


def export(spec, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    image_ts, text_ts = trace_towers(spec)
    image_path, text_path = os.path.join(out_dir, IMAGE_FILE), os.path.join(out_dir, TEXT_FILE)
    torch.jit.save(image_ts, image_path)
    torch.jit.save(text_ts, text_path)
    # check what was written, not what is in memory
    embedding_dim = verify_towers(spec, torch.jit.load(image_path), torch.jit.load(text_path))

    if spec.tokenizer_writer is not None:
        tok = spec.tokenizer_writer(os.path.join(out_dir, TOKENIZER_FILE))
        check_tokenizer(spec, tok)
    else:
        stale = os.path.join(out_dir, TOKENIZER_FILE)
        if os.path.exists(stale):
            os.remove(stale)
        log("note: no %s written (%s has no vocabulary); supply CLIP's tokenizer.json next to the manifest"
            % (TOKENIZER_FILE, spec.name))

    manifest = build_manifest(spec, embedding_dim)
    with open(os.path.join(out_dir, MANIFEST), "w", encoding="utf-8") as f:
        f.write(dumps_manifest(manifest) + "\n")
    return manifest


# ---------------------------------------------------------------------------------------------------------------------
# Golden outputs
# ---------------------------------------------------------------------------------------------------------------------


def preprocess_pil(image, image_cfg):
    """The manifest's preprocessing computed with Pillow, as OpenAI CLIP does it (torchvision Resize + CenterCrop).

    ``shortest``: the shortest side is resized to the size (the other side rounded down, as torchvision does), then
    the centre is cropped (offsets rounded half-to-even, as torchvision does). ``squash``: resize to the size.
    Returns a float32 array 3 x H x W.
    """
    from PIL import Image
    resample = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "nearest": Image.NEAREST}[image_cfg["interpolation"]]
    size = image_cfg["size"]
    th, tw = (size, size) if isinstance(size, int) else (size * 2 if len(size) == 1 else size)
    image = image.convert("RGB")
    w, h = image.size
    if image_cfg["resize_mode"] == "shortest":
        target = max(th, tw)  # square CLIP sizes: th == tw
        if w <= h:
            nw, nh = target, int(target * h / w)
        else:
            nw, nh = int(target * w / h), target
        if (nw, nh) != (w, h):
            image = image.resize((nw, nh), resample)
        left, top = int(round((nw - tw) / 2.0)), int(round((nh - th) / 2.0))
        image = image.crop((left, top, left + tw, top + th))
    else:
        if (w, h) != (tw, th):
            image = image.resize((tw, th), resample)
    x = np.asarray(image, dtype=np.float32) / 255.0  # H x W x 3
    mean = np.asarray(image_cfg["mean"], dtype=np.float32)
    std = np.asarray(image_cfg["std"], dtype=np.float32)
    x = (x - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def golden_images(image_cfg, seed):
    """Fixed RGB images: two of exactly the model's input size (preprocessing is then only the normalisation) and one
    smooth, larger, non-square image whose resize and centre crop are part of the reference."""
    from PIL import Image
    th, tw = image_cfg["size"]
    rng = np.random.RandomState(seed)
    images = []
    for i in range(2):
        pixels = rng.randint(0, 256, size=(th, tw, 3)).astype(np.uint8)
        images.append(("random-%d" % i, pixels))
    # smooth image: a coarse random grid upsampled bilinearly, 1.5 x wider and 1.25 x taller than the input size
    coarse = rng.randint(0, 256, size=(5, 6, 3)).astype(np.uint8)
    big_w, big_h = tw * 3 // 2, th * 5 // 4
    smooth = np.asarray(Image.fromarray(coarse, "RGB").resize((big_w, big_h), Image.BILINEAR), dtype=np.uint8)
    images.append(("smooth-%dx%d" % (big_w, big_h), smooth))
    return images


def pad_ids(ids, context_length, pad_id=0):
    """OpenAI clip.tokenize(truncate=True): cut to the context length keeping EOT last, pad with pad_id."""
    ids = list(ids)
    if len(ids) > context_length:
        ids = ids[:context_length]
        ids[-1] = EOT_ID
    return ids + [pad_id] * (context_length - len(ids))


def _l2(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def write_golden(out_dir, manifest, golden_path, token_ids_path, max_texts, seed):
    from PIL import Image
    image_ts = torch.jit.load(os.path.join(out_dir, manifest["image"]["file"])).eval()
    text_ts = torch.jit.load(os.path.join(out_dir, manifest["text"]["file"])).eval()
    image_cfg = manifest["image"]
    ctx = manifest["text"]["max_length"]

    images = []
    for name, pixels in golden_images(image_cfg, seed):
        x = preprocess_pil(Image.fromarray(pixels, "RGB"), image_cfg)
        with torch.no_grad():
            emb = image_ts(torch.from_numpy(x[None])).numpy()[0]
        h, w = pixels.shape[:2]
        images.append(OrderedDict([
            ("name", name),
            ("height", h),
            ("width", w),
            ("pixels", [int(v) for v in pixels.reshape(-1)]),
            ("input_shape", list(x.shape)),
            ("input", _f32_list(x)),
            ("embedding", _f32_list(_l2(emb.astype(np.float64)))),
        ]))

    texts = []
    if token_ids_path:
        with open(token_ids_path, encoding="utf-8") as f:
            token_ids = json.load(f, object_pairs_hook=OrderedDict)
        for text, ids in list(token_ids.items())[:max_texts]:
            padded = pad_ids(ids, ctx)
            with torch.no_grad():
                emb = text_ts(torch.tensor([padded], dtype=torch.int64)).numpy()[0]
            texts.append(OrderedDict([
                ("text", text),
                ("input_ids", [int(v) for v in ids]),
                ("embedding", _f32_list(_l2(emb.astype(np.float64)))),
            ]))

    golden = OrderedDict([
        ("format", 1),
        ("model", manifest["name"]),
        ("embedding_dim", manifest["embedding_dim"]),
        ("logit_scale", manifest["logit_scale"]),
        ("seed", seed),
        ("context_length", ctx),
        ("pad_id", 0),
        ("images", images),
        ("texts", texts),
    ])
    if images and texts:
        ie = np.asarray([i["embedding"] for i in images], dtype=np.float64)
        te = np.asarray([t["embedding"] for t in texts], dtype=np.float64)
        golden["logits_per_image"] = [_f32_list(row) for row in manifest["logit_scale"] * ie @ te.T]

    with open(golden_path, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    return golden


# ---------------------------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--source", required=True, choices=sorted(LOADERS))
    p.add_argument("--model", help="openai: ViT-B-32 or ViT-B/32; open_clip: model name; hf: repo id or directory")
    p.add_argument("--pretrained", help="open_clip: pretrained tag, e.g. laion2b_s34b_b79k")
    p.add_argument("--out", required=True, help="bundle directory to write")
    p.add_argument("--name", help="model name for the manifest (default: derived from the source and model)")
    p.add_argument("--tokenizer", help="Hugging Face repo id or directory of the CLIP tokenizer to export "
                                       "(openai/open_clip default: %s; hf default: --model)" % DEFAULT_HF_TOKENIZER)
    p.add_argument("--golden", help="write golden outputs of the exported files to this JSON file")
    p.add_argument("--golden-token-ids", help="JSON object text -> unpadded CLIP token ids (with 49406 ... 49407)")
    p.add_argument("--golden-max-texts", type=int, default=5)
    p.add_argument("--seed", type=int, default=0, help="random-vit weights and golden images")
    g = p.add_argument_group("random-vit architecture")
    g.add_argument("--image-size", type=int, default=32)
    g.add_argument("--patch-size", type=int, default=8)
    g.add_argument("--vision-width", type=int, default=64)
    g.add_argument("--vision-layers", type=int, default=2)
    g.add_argument("--vision-heads", type=int, default=4)
    g.add_argument("--text-width", type=int, default=24)
    g.add_argument("--text-layers", type=int, default=2)
    g.add_argument("--text-heads", type=int, default=4)
    g.add_argument("--context-length", type=int, default=77)
    g.add_argument("--vocab-size", type=int, default=49408)
    g.add_argument("--embed-dim", type=int, default=32)
    args = p.parse_args(argv)
    if args.source != "random-vit" and not args.model:
        p.error("--model is required for --source %s" % args.source)
    if args.source == "open_clip" and not args.pretrained:
        p.error("--pretrained is required for --source open_clip")
    if args.golden_token_ids and not args.golden:
        p.error("--golden-token-ids needs --golden")
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_grad_enabled(False)
    spec = LOADERS[args.source](args)
    log("exporting %s to %s" % (spec.name, args.out))
    manifest = export(spec, args.out)
    for fname in sorted(os.listdir(args.out)):
        log("  %-24s %10d bytes" % (fname, os.path.getsize(os.path.join(args.out, fname))))
    if args.golden:
        golden = write_golden(args.out, manifest, args.golden, args.golden_token_ids, args.golden_max_texts, args.seed)
        log("golden: %d images, %d texts -> %s (%d bytes)"
            % (len(golden["images"]), len(golden["texts"]), args.golden, os.path.getsize(args.golden)))
    print(dumps_manifest(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
