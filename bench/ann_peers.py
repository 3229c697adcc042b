#!/usr/bin/python3
"""hnswlib and FAISS on the vectors VectorSearchBenchmark wrote, for docs/benchmarks.md.

Usage: /usr/bin/python3 bench/ann_peers.py DIR [ENGINES]
  DIR holds base.fvecs, query.fvecs, groundtruth.ivecs; ENGINES is a comma-separated subset of hnswlib,faiss
  (default both; FAISS's HNSW build is slow on two cores, so the 1M runs leave it out).
Needs Debian's python3-hnswlib and python3-faiss. Prints one JSON line per engine and setting, like the Java side:
recall@10 against the same exact neighbours, and single-query latency (one thread) as queries/s, p50 and p99.
HNSW parameters match Lucene's defaults in clipsearch: M=16, construction beam 100, inner product.
"""
import json
import sys
import time

import numpy as np

K = 10


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    dim = raw[0]
    rows = raw.reshape(-1, dim + 1)[:, 1:]
    return rows.view(dtype) if dtype == np.float32 else rows


def measure(name, search, queries, truth, extra):
    for q in queries[:200]:  # warm-up
        search(q)
    latencies = []
    recall = 0.0
    for q, t in zip(queries, truth):
        start = time.perf_counter()
        ids = search(q)
        latencies.append(time.perf_counter() - start)
        recall += len(set(ids[:K].tolist()) & set(t[:K].tolist())) / K
    lat = np.sort(np.array(latencies))
    row = {"engine": name, "recall": round(recall / len(queries), 4), "qps": round(len(lat) / lat.sum(), 1),
           "p50_ms": round(lat[len(lat) // 2] * 1e3, 3), "p99_ms": round(lat[int(len(lat) * 0.99)] * 1e3, 3)}
    row.update(extra)
    print(json.dumps(row), flush=True)


def main():
    folder = sys.argv[1]
    base = np.ascontiguousarray(read_vecs(f"{folder}/base.fvecs", np.float32))
    queries = np.ascontiguousarray(read_vecs(f"{folder}/query.fvecs", np.float32))
    truth = read_vecs(f"{folder}/groundtruth.ivecs", np.int32)
    n, dim = base.shape
    candidates = [10, 20, 40, 80, 160, 320]
    engines = sys.argv[2].split(",") if len(sys.argv) > 2 else ["hnswlib", "faiss"]
    if "hnswlib" in engines:
        run_hnswlib(base, queries, truth, candidates)
    if "faiss" in engines:
        run_faiss(base, queries, truth, candidates)


def run_hnswlib(base, queries, truth, candidates):
    n, dim = base.shape
    import hnswlib
    index = hnswlib.Index(space="ip", dim=dim)
    start = time.perf_counter()
    index.init_index(max_elements=n, M=16, ef_construction=100, random_seed=42)
    index.set_num_threads(2)
    index.add_items(base, np.arange(n))
    build = time.perf_counter() - start
    index.set_num_threads(1)
    for ef in candidates:
        index.set_ef(max(ef, K))
        measure("hnswlib", lambda q: index.knn_query(q, k=K)[0][0], queries, truth,
                {"n": n, "dim": dim, "candidates": ef, "build_s": round(build, 1)})


def run_faiss(base, queries, truth, candidates):
    n, dim = base.shape
    import faiss
    faiss.omp_set_num_threads(2)
    hnsw = faiss.IndexHNSWFlat(dim, 16, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 100
    start = time.perf_counter()
    hnsw.add(base)
    build = time.perf_counter() - start
    faiss.omp_set_num_threads(1)
    for ef in candidates:
        hnsw.hnsw.efSearch = max(ef, K)
        measure("faiss-hnsw", lambda q: hnsw.search(q.reshape(1, -1), K)[1][0], queries, truth,
                {"n": n, "dim": dim, "candidates": ef, "build_s": round(build, 1)})
    flat = faiss.IndexFlatIP(dim)
    flat.add(base)
    measure("faiss-flat (brute force)", lambda q: flat.search(q.reshape(1, -1), K)[1][0], queries[:300], truth[:300],
            {"n": n, "dim": dim})


if __name__ == "__main__":
    main()
