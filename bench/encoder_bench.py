#!/usr/bin/env python3
"""Encoder throughput of a clipsearch bundle's TorchScript towers in Python's torch: the reference for EncoderBenchmark.

Loads ``image.pt`` and ``text.pt`` of a bundle in the clipsearch layout with ``torch.jit.load`` and measures, at the
same batch sizes and thread count as the Java benchmark:

  image        Pillow pipeline on 640x480 RGB images (bicubic resize of the shortest side, centre crop, scale and
               normalise with numpy, as OpenAI's CLIP preprocess does) plus one forward pass
  image-model  the forward pass on a ready N x 3 x H x W float32 tensor
  text         the forward pass on ready N x 77 int64 token ids (no tokenizer: ids of caption-like length, padded
               with 0 as clipsearch does)
  preprocess   (only when asked for) the Pillow pipeline alone

torch.set_num_threads sets the intra-op (OpenMP) threads; OPENBLAS_NUM_THREADS, which Debian's torch uses for matrix
products, is set to the same number unless the environment already sets it.

Each point is warmed up, then timed for at least --seconds and at least three batches. Prints one JSON line per point
({"bench":"encoder","impl":"python-torch",...}) and, on stderr, a readable line per point.

Needs torch, numpy and Pillow; on Debian/Ubuntu: apt-get install python3-torch libopenblas0-pthread python3-pil
(python3-numpy comes with python3-torch). Run it with that Python, e.g. /usr/bin/python3.
"""

import argparse
import json
import os
import statistics
import sys
import time


def _limit_blas_threads(argv):
    """Debian's torch runs its matrix products in OpenBLAS, whose own thread pool ignores torch.set_num_threads; it
    reads OPENBLAS_NUM_THREADS when loaded, so the thread count is set before numpy and torch are imported."""
    threads = None
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            threads = argv[i + 1]
        elif arg.startswith("--threads="):
            threads = arg.split("=", 1)[1]
    os.environ.setdefault("OPENBLAS_NUM_THREADS", threads or str(os.cpu_count()))


_limit_blas_threads(sys.argv[1:])

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402


def synthetic_images(count, width, height, seed=42):
    """Photo-sized RGB images with gradients, shapes and a little noise, all different."""
    rng = np.random.default_rng(seed)
    images = []
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    t = (xx / width + yy / height) / 2
    for _ in range(count):
        a = rng.integers(0, 256, 3)
        b = rng.integers(0, 256, 3)
        pixels = (a[None, None, :] * (1 - t[..., None]) + b[None, None, :] * t[..., None]).astype(np.uint8)
        image = Image.fromarray(pixels, "RGB")
        draw = ImageDraw.Draw(image)
        for s in range(12):
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
            w, h = 20 + int(rng.integers(0, width // 3)), 20 + int(rng.integers(0, height // 3))
            box = [x - w // 2, y - h // 2, x + w // 2, y + h // 2]
            if s % 3 == 0:
                draw.ellipse(box, fill=colour)
            elif s % 3 == 1:
                draw.rectangle(box, fill=colour)
            else:
                draw.line([x, y, int(rng.integers(0, width)), int(rng.integers(0, height))], fill=colour,
                          width=2 + int(rng.integers(0, 8)))
        pixels = np.array(image)
        noise = rng.integers(0, 32, (height, width, 1), dtype=np.uint8) * (rng.random((height, width, 1)) < 0.05)
        images.append(Image.fromarray(pixels ^ noise.astype(np.uint8), "RGB"))
    return images


class Preprocess:
    """Resize (shortest side, torchvision's rounding), centre crop, scale to [0, 1], normalise: CLIP's transform."""

    RESAMPLE = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "nearest": Image.NEAREST}

    def __init__(self, manifest):
        image = manifest["image"]
        size = image["size"]
        self.height, self.width = (size, size) if isinstance(size, int) else (size[0], size[1])
        self.mode = image.get("resize_mode", "shortest")
        self.resample = self.RESAMPLE[image.get("interpolation", "bicubic")]
        self.mean = np.array(image["mean"], dtype=np.float32)
        self.std = np.array(image["std"], dtype=np.float32)

    def __call__(self, image):
        w, h = image.size
        if self.mode == "squash":
            image = image.resize((self.width, self.height), self.resample)
        else:
            scale = max(self.width / w, self.height / h)
            if self.width == self.height:
                size = (self.width, int(self.width * h / w)) if w <= h else (int(self.height * w / h), self.height)
            else:
                size = (max(self.width, round(w * scale)), max(self.height, round(h * scale)))
            image = image.resize(size, self.resample)
            left = int(round((size[0] - self.width) / 2.0))
            top = int(round((size[1] - self.height) / 2.0))
            image = image.crop((left, top, left + self.width, top + self.height))
        pixels = np.asarray(image, dtype=np.float32) / 255.0
        return ((pixels - self.mean) / self.std).transpose(2, 0, 1)


def token_ids(count, context_length, seed=7):
    """Caption-like token ids: start, 5 to 14 word tokens, end, then padding with 0."""
    rng = np.random.default_rng(seed)
    ids = np.zeros((count, context_length), dtype=np.int64)
    for i in range(count):
        n = 5 + i % 10
        ids[i, 0] = 49406
        ids[i, 1:n + 1] = rng.integers(256, 49000, n)
        ids[i, n + 1] = 49407
    return torch.from_numpy(ids)


def measure(step, warmup_seconds, seconds):
    end = time.perf_counter() + warmup_seconds
    i = 0
    while i < 2 or time.perf_counter() < end:
        step()
        i += 1
    times = []
    start = time.perf_counter()
    end = start + seconds
    now = start
    while len(times) < 3 or now < end:
        t0 = time.perf_counter()
        step()
        now = time.perf_counter()
        times.append(now - t0)
    return times, now - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", help="bundle directory (clipsearch layout: image.pt, text.pt, clipsearch-model.json)")
    parser.add_argument("--batches", default="1,8,32")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch.set_num_threads (default: CPUs)")
    parser.add_argument("--seconds", type=float, default=5, help="minimum timed seconds per point")
    parser.add_argument("--warmup-seconds", type=float, default=2, help="minimum warm-up seconds per point")
    parser.add_argument("--modes", default="image,image-model,text", help="also: preprocess")
    parser.add_argument("--json", help="also write the JSON lines to this file")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    batches = [int(b) for b in args.batches.split(",")]
    modes = args.modes.split(",")
    with open(os.path.join(args.bundle, "clipsearch-model.json"), encoding="utf-8") as f:
        manifest = json.load(f)

    t0 = time.perf_counter()
    image_model = torch.jit.load(os.path.join(args.bundle, manifest["image"]["file"]), map_location="cpu").eval()
    text_model = torch.jit.load(os.path.join(args.bundle, manifest["text"]["file"]), map_location="cpu").eval()
    load_seconds = time.perf_counter() - t0
    threads = "intra-op threads %d, inter-op threads %d, OPENBLAS_NUM_THREADS=%s" % (
        torch.get_num_threads(), torch.get_num_interop_threads(), os.environ.get("OPENBLAS_NUM_THREADS"))
    print("model %s loaded in %.1f s; torch %s; %s; %d CPUs" % (manifest.get("name"), load_seconds, torch.__version__,
                                                              threads, os.cpu_count()), file=sys.stderr)

    preprocess = Preprocess(manifest)
    max_batch = max(batches)
    images = synthetic_images(max_batch, 640, 480)
    tensors = torch.from_numpy(np.stack([preprocess(image) for image in images]))
    ids = token_ids(max_batch, manifest["text"].get("max_length", 77))

    def normalised(embeddings):
        return embeddings / embeddings.norm(dim=-1, keepdim=True)

    lines = []
    with torch.inference_mode():
        for mode in modes:
            for batch in batches:
                if mode == "image":
                    def step(batch=batch):
                        x = torch.from_numpy(np.stack([preprocess(image) for image in images[:batch]]))
                        return normalised(image_model(x)).numpy()
                elif mode == "image-model":
                    def step(batch=batch):
                        return normalised(image_model(tensors[:batch].contiguous())).numpy()
                elif mode == "preprocess":
                    def step(batch=batch):
                        return np.stack([preprocess(image) for image in images[:batch]])
                elif mode == "text":
                    def step(batch=batch):
                        return normalised(text_model(ids[:batch].contiguous())).numpy()
                else:
                    parser.error("unknown mode " + mode)
                times, total = measure(step, args.warmup_seconds, args.seconds)
                point = {
                    "bench": "encoder", "impl": "python-torch", "model": manifest.get("name"), "mode": mode,
                    "batch": batch, "items_per_s": round(batch * len(times) / total, 4), "iterations": len(times),
                    "seconds": round(total, 3), "median_ms": round(statistics.median(times) * 1e3, 3),
                    "min_ms": round(min(times) * 1e3, 3), "max_ms": round(max(times) * 1e3, 3), "threads": threads,
                    "torch": torch.__version__, "cpus": os.cpu_count(),
                }
                print("%-12s batch %3d  %9.2f items/s  (%d batches in %.1f s; median %.1f ms/batch, min %.1f, max %.1f)"
                      % (mode, batch, point["items_per_s"], len(times), total, point["median_ms"], point["min_ms"],
                         point["max_ms"]), file=sys.stderr)
                line = json.dumps(point, separators=(",", ":"))
                lines.append(line)
                print(line, flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
