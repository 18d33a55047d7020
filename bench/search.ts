// npm run bench:search — exact top-200 search of Q random queries against 30k and 1M random
// 384-d unit vectors (BENCH_DOCS=30000,1000000 / BENCH_QUERIES to resize): ftlab's queries/s
// and where its time went (score GEMMs vs selection), the matmul bound measured in this
// process, the bf16 candidate scan (queries/s and its recall of the exact top-200), and faiss
// IndexFlatIP on the same vectors in the same run when faiss is importable (BENCH_PYTHON,
// .cache/bench-venv or python3), with how many queries' top-200 id lists equal ftlab's.
// BENCH_TILE=rows,docs sets the fused step's GEMM tile; BENCH_SCAN=0 skips the bf16 scan.
import './preload.ts'; // first: tcmalloc, as the CLI runs
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { manualSeed, matmulPaths, pathLine, randn, setThreads, noGrad, tidy } from '../src/engine/index.ts';
import {
  DEFAULT_TILE,
  exactSearch,
  type SearchOptions,
  type StageClock,
  type TopK,
} from '../src/retrieval/exact-search.ts';
import { matmulGflops } from './matmul-bound.ts';
import { hasPythonModule, runPeer, PEER_SETUP_HINT } from './peers/python.ts';

const SIZES = (process.env.BENCH_DOCS ?? '30000,1000000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 10_000);
const DIM = 384;
const K = 200;
const CHUNK = Number(process.env.BENCH_CHUNK ?? 65536);
const [rows, tileDocs] = (process.env.BENCH_TILE ?? '').split(',').map(Number);
const TILE = rows && tileDocs ? { rowsPerBlock: rows, docsPerTile: tileDocs } : DEFAULT_TILE;
const SCAN = process.env.BENCH_SCAN !== '0';
const threads = setThreads(process.env.BENCH_THREADS ? Number(process.env.BENCH_THREADS) : undefined);
const faiss = hasPythonModule('faiss') && hasPythonModule('numpy');
manualSeed(1);
const unit = (n: number): Float32Array => noGrad(() => tidy(() => randn([n, DIM]).normalize().f32()));
const queries = unit(QUERIES);
console.log(pathLine(matmulPaths(true))); // the score matmul follows the probed fp32 matmul precision
const gflops = matmulGflops(1024, DIM, CHUNK, 3);
console.log(
  `${threads} threads; ${QUERIES} queries x ${DIM}-d, top-${K}, chunks of ${CHUNK}, tile ${TILE.rowsPerBlock}x${TILE.docsPerTile}; matmul ${gflops.toFixed(1)} GFLOP/s`,
);
if (!faiss) console.log(`faiss peer: not importable (no ratio printed); to measure it: ${PEER_SETUP_HINT}`);

/** Fraction of `exact`'s ids (per query, as sets) that `other` also returned. */
function recall(exact: TopK, other: ArrayLike<number>): number {
  let hit = 0;
  let all = 0;
  for (let q = 0; q < QUERIES; q++) {
    const got = new Set(Array.from({ length: K }, (_, j) => Number(other[q * K + j])));
    for (let j = 0; j < K; j++) {
      const id = exact.indices[q * K + j]!;
      if (id < 0) continue;
      all++;
      if (got.has(id)) hit++;
    }
  }
  return hit / all;
}

/** Queries whose K ids equal, in order. */
function sameLists(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let same = 0;
  for (let q = 0; q < QUERIES; q++) {
    let eq = true;
    for (let j = 0; j < K && eq; j++) eq = Number(a[q * K + j]) === Number(b[q * K + j]);
    if (eq) same++;
  }
  return same;
}

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
    const timed = async (o: SearchOptions): Promise<{ top: TopK; qps: number; secs: number }> => {
      const t0 = performance.now();
      const top = await exactSearch(queries, DIM, chunks(), K, { tile: TILE, ...o });
      const secs = (performance.now() - t0) / 1000;
      return { top, qps: QUERIES / secs, secs };
    };
    const clock: StageClock = { similaritySeconds: 0, topkSeconds: 0 };
    const exact = await timed({ clock });
    const split = clock.similaritySeconds / (clock.similaritySeconds + clock.topkSeconds);
    let line =
      `${DOCS} docs: ftlab exact ${exact.secs.toFixed(1)} s, ${exact.qps.toFixed(1)} queries/s ` +
      `(${((100 * exact.qps) / boundQps).toFixed(0)}% of the matmul bound, ${boundQps.toFixed(1)} queries/s; ` +
      `time ${(100 * split).toFixed(0)}% score GEMMs at ${((2 * QUERIES * DOCS * DIM) / (exact.secs * split) / 1e9).toFixed(0)} GFLOP/s, ` +
      `${(100 * (1 - split)).toFixed(0)}% selection)`;
    if (SCAN) {
      const scan = await timed({ scan: 'bf16' });
      line +=
        `; bf16 scan with fp32 re-scoring ${scan.qps.toFixed(1)} queries/s ` +
        `(${(scan.qps / exact.qps).toFixed(2)}x exact), recall of the exact top-${K} ${recall(exact.top, scan.top.indices).toFixed(5)}, ` +
        `same id lists ${sameLists(exact.top.indices, scan.top.indices)}/${QUERIES}`;
    }
    if (faiss) {
      const d = join(dir, 'docs.f32');
      const q = join(dir, 'queries.f32');
      const ids = join(dir, 'ids.i64');
      writeFileSync(d, docs);
      writeFileSync(q, queries);
      const peer = runPeer<{ queriesPerSec: number; faiss: string }>('faiss_search.py', [
        d,
        q,
        String(DIM),
        String(K),
        String(threads),
        ids,
      ]);
      rmSync(d);
      const theirs = new BigInt64Array(readFileSync(ids).buffer.slice(0));
      const asNumbers = Array.from(theirs, Number);
      line +=
        `; faiss ${peer.faiss} IndexFlatIP ${peer.queriesPerSec.toFixed(1)} queries/s -> ftlab exact ` +
        `${(exact.qps / peer.queriesPerSec).toFixed(2)}x faiss; same top-${K} id lists ${sameLists(exact.top.indices, asNumbers)}/${QUERIES}, ` +
        `recall of ftlab's top-${K} ${recall(exact.top, asNumbers).toFixed(5)}`;
    }
    console.log(line);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
