// npm run bench:collection — loads a generated 8.8M-passage collection (~3 GB, MS MARCO's
// size and average length) into the compact store: time and peak resident memory.
import './preload.ts'; // first: tcmalloc, as the CLI runs
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { statSync } from 'node:fs';
import { loadCollection } from '../src/data/collection.ts';
import { generateFile, sentence } from './generated-file.ts';

const N = Number(process.env.BENCH_PASSAGES ?? 8_841_823);
const path = join(process.env.BENCH_DIR ?? tmpdir(), `ftlab-bench-collection-${N}.tsv`);
const t0 = performance.now();
await generateFile(path, N, (i, rnd) => `${i}\t${sentence(rnd, 40 + Math.floor(rnd() * 40))}\n`);
const gen = (performance.now() - t0) / 1000;
let peak = 0;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 200);
const t1 = performance.now();
const { collection } = await loadCollection(path);
const secs = (performance.now() - t1) / 1000;
collection.indexOf('0');
peak = Math.max(peak, process.memoryUsage().rss);
clearInterval(timer);
const gib = (b: number): string => (b / 2 ** 30).toFixed(2);
console.log(`file: ${N} passages, ${gib(statSync(path).size)} GiB (generated in ${gen.toFixed(0)} s; kept at ${path})`);
console.log(
  `load: ${secs.toFixed(1)} s (${(N / secs / 1e6).toFixed(2)}M passages/s), store ${gib(collection.bytes)} GiB of text pages, ` +
    `peak resident ${gib(peak)} GiB (limit 6 GiB: ${peak < 6 * 2 ** 30 ? 'within' : 'OVER'}); text(${N - 1}) = "${collection.text(N - 1).slice(0, 40)}..."`,
);
