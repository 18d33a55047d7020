"""faiss peer for bench:search: IndexFlatIP exact top-k over the same float32 vectors the Node
bench wrote (raw little-endian files). Prints {"secs": ..., "queriesPerSec": ..., "top1": [...]}."""
import json, sys, time
import numpy as np
import faiss

docs_path, queries_path, dim, k, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
faiss.omp_set_num_threads(threads)
docs = np.fromfile(docs_path, dtype=np.float32).reshape(-1, dim)
queries = np.fromfile(queries_path, dtype=np.float32).reshape(-1, dim)
index = faiss.IndexFlatIP(dim)
index.add(docs)
index.search(queries[:64], k)  # warm-up
t0 = time.perf_counter()
_, ids = index.search(queries, k)
secs = time.perf_counter() - t0
print(json.dumps({'secs': secs, 'queriesPerSec': len(queries) / secs, 'top1': ids[:, 0].tolist()[:50], 'faiss': faiss.__version__}))
