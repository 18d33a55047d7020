// npm run bench:search — exact top-200 search of Q random queries against 30k and 1M random
// 384-d unit vectors (BENCH_DOCS=30000,1000000 / BENCH_QUERIES to resize): ftlab's queries/s,
// the matmul bound measured in this process, and faiss IndexFlatIP on the same vectors in the
// same run when faiss is importable (.cache/bench-venv or python3), else no ratio.
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { manualSeed, matmulPaths, pathLine, randn, setThreads, noGrad, tidy } from '../src/engine/index.ts';
import { exactSearch } from '../src/retrieval/exact-search.ts';
import { matmulGflops } from './matmul-bound.ts';
import { hasPythonModule, runPeer, PEER_SETUP_HINT } from './peers/python.ts';

const SIZES = (process.env.BENCH_DOCS ?? '30000,1000000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 10_000);
const DIM = 384;
const K = 200;
const CHUNK = Number(process.env.BENCH_CHUNK ?? 65536);
const threads = setThreads(process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined);
const faiss = hasPythonModule('faiss') && hasPythonModule('numpy');
manualSeed(1);
const unit = (n: number): Float32Array => noGrad(() => tidy(() => randn([n, DIM]).normalize().f32()));
const queries = unit(QUERIES);
console.log(pathLine(matmulPaths(true))); // the score matmul follows the probed fp32 matmul precision
const gflops = matmulGflops(1024, DIM, CHUNK, 3);
console.log(
  `${threads} threads; ${QUERIES} queries x ${DIM}-d, top-${K}, chunks of ${CHUNK}; matmul ${gflops.toFixed(1)} GFLOP/s`,
);
if (!faiss) console.log(`faiss peer: not importable (no ratio printed); to measure it: ${PEER_SETUP_HINT}`);
const dir = join(process.env.BENCH_DIR ?? tmpdir(), `ftlab-bench-search-${process.pid}`);
mkdirSync(dir, { recursive: true });
try {
  for (const DOCS of SIZES) {
    const docs = new Float32Array(DOCS * DIM);
    for (let s = 0; s < DOCS; s += 262144) docs.set(unit(Math.min(262144, DOCS - s)), s * DIM);
    function* chunks(): Generator<Float32Array> {
      for (let s = 0; s < DOCS; s += CHUNK) yield docs.subarray(s * DIM, Math.min(DOCS, s + CHUNK) * DIM);
    }
    const boundQps = (gflops * 1e9) / (2 * DOCS * DIM);
    const t0 = performance.now();
    const top = await exactSearch(queries, DIM, chunks(), K);
    const secs = (performance.now() - t0) / 1000;
    const qps = QUERIES / secs;
    let line = `${DOCS} docs: ftlab ${secs.toFixed(1)} s, ${qps.toFixed(1)} queries/s (${((100 * qps) / boundQps).toFixed(0)}% of the matmul bound, ${boundQps.toFixed(1)} queries/s)`;
    if (faiss) {
      const d = join(dir, 'docs.f32');
      const q = join(dir, 'queries.f32');
      writeFileSync(d, docs);
      writeFileSync(q, queries);
      const peer = runPeer<{ queriesPerSec: number; top1: number[]; faiss: string }>('faiss_search.py', [
        d,
        q,
        String(DIM),
        String(K),
        String(threads),
      ]);
      rmSync(d);
      const agree = peer.top1.filter((id, i) => id === top.indices[i * K]).length;
      line += `; faiss ${peer.faiss} IndexFlatIP ${peer.queriesPerSec.toFixed(1)} queries/s -> ftlab ${(qps / peer.queriesPerSec).toFixed(2)}x faiss; top-1 agrees on ${agree}/${peer.top1.length}`;
    }
    console.log(line);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
