"""faiss peer for bench:search: IndexFlatIP exact top-k over the same float32 vectors the Node
bench wrote (raw little-endian files). Prints {"secs": ..., "queriesPerSec": ..., "top1": [...]};
with a 6th argument, writes every query's k ids there (int64, row-major) for the id comparison."""
import json, sys, time
import numpy as np
import faiss

docs_path, queries_path, dim, k, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
ids_path = sys.argv[6] if len(sys.argv) > 6 else None
faiss.omp_set_num_threads(threads)
docs = np.fromfile(docs_path, dtype=np.float32).reshape(-1, dim)
queries = np.fromfile(queries_path, dtype=np.float32).reshape(-1, dim)
index = faiss.IndexFlatIP(dim)
index.add(docs)
index.search(queries[:64], k)  # warm-up
t0 = time.perf_counter()
_, ids = index.search(queries, k)
secs = time.perf_counter() - t0
if ids_path:
    ids.astype(np.int64).tofile(ids_path)
print(json.dumps({'secs': secs, 'queriesPerSec': len(queries) / secs, 'top1': ids[:, 0].tolist()[:50], 'faiss': faiss.__version__}))
