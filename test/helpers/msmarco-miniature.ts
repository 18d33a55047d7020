// A generated miniature of the full MS MARCO passage directory, under the official file names
// and formats (collection.tsv, queries.train.tsv, qrels.train.tsv, triples.train.small.tar.gz,
// queries.dev.small.tsv, qrels.dev.small.tsv): `--preset paper --data DIR` runs on it in tests.
// Passages are made of topic words so a query shares words with its relevant passage.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create as tarCreate } from 'tar';
import { Random } from '../../src/data/random.ts';

const WORDS = [
  'river',
  'bank',
  'money',
  'loan',
  'fish',
  'water',
  'bridge',
  'city',
  'train',
  'station',
  'music',
  'piano',
  'guitar',
  'song',
  'heart',
  'blood',
  'doctor',
  'fever',
  'virus',
  'cell',
  'plant',
  'leaf',
  'sun',
  'light',
  'energy',
  'solar',
  'tax',
  'income',
  'law',
  'court',
  'judge',
  'vote',
  'bread',
  'flour',
  'oven',
  'sugar',
  'coffee',
  'bean',
  'tea',
  'milk',
  'horse',
  'dog',
  'cat',
  'bird',
  'egg',
  'snow',
  'ice',
  'mountain',
  'lake',
  'stone',
];

export interface Miniature {
  dir: string;
  passages: number;
  trainQueries: number;
  devQueries: number;
  triples: number;
}

export async function writeMsmarcoMiniature(
  dir: string,
  o: { passages?: number; trainQueries?: number; devQueries?: number; seed?: number } = {},
): Promise<Miniature> {
  const P = o.passages ?? 2000;
  const TQ = o.trainQueries ?? 200;
  const DQ = o.devQueries ?? 40;
  const rng = new Random(o.seed ?? 7);
  mkdirSync(dir, { recursive: true });
  const topic = (t: number, n: number): string =>
    Array.from(
      { length: n },
      (_, i) => WORDS[(t * 3 + (i % 3) + (rng.int(4) === 0 ? rng.int(WORDS.length) : 0)) % WORDS.length]!,
    ).join(' ');
  const passages: string[] = [];
  for (let p = 0; p < P; p++) passages.push(`${topic(p % 40, 12)} passage ${p}`);
  writeFileSync(join(dir, 'collection.tsv'), passages.map((t, p) => `${p}\t${t}\n`).join(''));
  // query q is about topic q % 40; its relevant passage is one of that topic's passages
  const queries = (base: number, n: number): { qid: number; text: string; pid: number }[] =>
    Array.from({ length: n }, (_, i) => {
      const qid = base + i;
      const t = qid % 40;
      return { qid, text: `${topic(t, 4)} question ${qid}`, pid: t + 40 * rng.int(Math.floor(P / 40)) };
    });
  const train = queries(1000, TQ);
  const dev = queries(500000, DQ);
  writeFileSync(join(dir, 'queries.train.tsv'), train.map((q) => `${q.qid}\t${q.text}\n`).join(''));
  writeFileSync(join(dir, 'qrels.train.tsv'), train.map((q) => `${q.qid}\t0\t${q.pid}\t1\n`).join(''));
  writeFileSync(join(dir, 'queries.dev.small.tsv'), dev.map((q) => `${q.qid}\t${q.text}\n`).join(''));
  writeFileSync(join(dir, 'qrels.dev.small.tsv'), dev.map((q) => `${q.qid}\t0\t${q.pid}\t1\n`).join(''));
  // the official triples: query text, its positive's text, a random other passage's text (several per query)
  const lines: string[] = [];
  for (const q of train)
    for (let k = 0; k < 4; k++)
      lines.push(`${q.text}\t${passages[q.pid]}\t${passages[(q.pid + 1 + rng.int(P - 1)) % P]}\n`);
  const src = join(dir, '.triples-src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'triples.train.small.tsv'), lines.join(''));
  await tarCreate({ gzip: true, file: join(dir, 'triples.train.small.tar.gz'), cwd: src }, ['triples.train.small.tsv']);
  return { dir, passages: P, trainQueries: TQ, devQueries: DQ, triples: lines.length };
}
