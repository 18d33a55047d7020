// npm run bench:sample — reservoir-samples 1M triples from a generated 39.8M-line triples
// file (the size of triples.train.small.tsv; shorter lines, to spare the disk): time, memory.
import './preload.ts'; // first: tcmalloc, as the CLI runs
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { statSync } from 'node:fs';
import { sampleTriples } from '../src/data/sample-triples.ts';
import { generateFile, sentence } from './generated-file.ts';

const LINES = Number(process.env.BENCH_LINES ?? 39_780_811);
const N = Number(process.env.BENCH_N ?? 1_000_000);
const path = join(process.env.BENCH_DIR ?? tmpdir(), `ftlab-bench-triples-${LINES}.tsv`);
await generateFile(path, LINES, (i, rnd) => `${sentence(rnd, 5)}\t${sentence(rnd, 8)} ${i}\t${sentence(rnd, 8)}\n`);
let peak = 0;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 200);
const t0 = performance.now();
const { reservoir } = await sampleTriples(path, N, 42, false);
const secs = (performance.now() - t0) / 1000;
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(`file: ${LINES} lines, ${(statSync(path).size / 2 ** 30).toFixed(2)} GiB; kept ${reservoir.items.length}`);
console.log(
  `sample: ${secs.toFixed(1)} s (${(LINES / secs / 1e6).toFixed(2)}M lines/s), peak resident ${(peak / 2 ** 30).toFixed(2)} GiB`,
);
