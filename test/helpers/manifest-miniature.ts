// A generated dataset described by a manifest (DIR/ftlab-dataset.json, src/data/manifest.ts):
// 400 passages of topic words, train / optional validation / test splits, graded
// judgments (0-3) and optional first-stage runs (TREC format for train and validation,
// MS MARCO format for test). `ftlab study --data DIR` runs on it in tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../../src/data/random.ts';

const WORDS = (
  'river bank money loan fish water bridge city train station music piano guitar song heart blood doctor ' +
  'fever virus cell plant leaf sun light energy solar tax income law court judge vote bread flour oven sugar ' +
  'coffee bean tea milk horse dog cat bird egg snow ice mountain lake stone'
).split(' ');

export interface ManifestMiniatureOptions {
  passages?: number; // default 400: ten per topic (40 topics); the last six of each fill the runs
  runs?: boolean; // first-stage runs for every split (default true)
  validation?: boolean; // a validation split of its own (default false: held out from train)
  minGrade?: number; // written into the manifest when given
  seed?: number;
}

export interface ManifestMiniature {
  dir: string;
  manifest: string;
  passages: number;
  queries: Record<'train' | 'validation' | 'test', string[]>;
}

const TOPICS = 40;

/** Writes the dataset and its manifest; queries are about distinct topics, so splits never share a judged passage. */
export function writeManifestMiniature(dir: string, o: ManifestMiniatureOptions = {}): ManifestMiniature {
  const P = o.passages ?? 400;
  const rng = new Random(o.seed ?? 11);
  const words = (t: number, n: number): string =>
    Array.from(
      { length: n },
      (_, i) => WORDS[(t * 3 + i + (rng.int(5) === 0 ? rng.int(WORDS.length) : 0)) % WORDS.length]!,
    ).join(' ');
  mkdirSync(dir, { recursive: true });
  const passage = Array.from({ length: P }, (_, p) => `${words(p % TOPICS, 10)} note ${p}`);
  writeFileSync(join(dir, 'collection.tsv'), passage.map((t, p) => `d${p}\t${t}\n`).join(''));
  const sizes = { train: 24, validation: o.validation ? 6 : 0, test: 8 };
  const queries: ManifestMiniature['queries'] = { train: [], validation: [], test: [] };
  const splits: Record<string, Record<string, string>> = {};
  let topic = 0;
  for (const name of ['train', 'validation', 'test'] as const) {
    if (sizes[name] === 0) continue;
    mkdirSync(join(dir, name), { recursive: true });
    const q: string[] = [];
    const qrels: string[] = [];
    const run: string[] = [];
    for (let i = 0; i < sizes[name]; i++, topic++) {
      const qid = `${name.slice(0, 2)}${i}`;
      queries[name].push(qid);
      q.push(`${qid}\t${words(topic, 4)} question ${qid}\n`);
      // grades 3 and 2 on the topic's first two passages, 1 and 0 on two others of the topic
      const graded = [3, 2, 1, 0].map((g, j) => ({ pid: topic + TOPICS * j, g }));
      for (const { pid, g } of graded) qrels.push(`${qid} 0 d${pid} ${g}\n`);
      const listed = new Set([graded[0]!.pid, graded[2]!.pid]);
      while (listed.size < 10) listed.add(4 * TOPICS + rng.int(P - 4 * TOPICS)); // unjudged filler
      [...listed].forEach((pid, r) => {
        run.push(name === 'test' ? `${qid}\td${pid}\t${r + 1}\n` : `${qid} Q0 d${pid} ${r + 1} ${20 - r} bm25\n`);
      });
    }
    writeFileSync(join(dir, name, 'queries.tsv'), q.join(''));
    writeFileSync(join(dir, name, 'qrels.txt'), qrels.join(''));
    splits[name] = { queries: `${name}/queries.tsv`, qrels: `${name}/qrels.txt` };
    if (o.runs ?? true) {
      writeFileSync(join(dir, name, 'run.txt'), run.join(''));
      splits[name].run = `${name}/run.txt`;
    }
  }
  const manifest = join(dir, 'ftlab-dataset.json');
  const m = {
    name: 'miniature',
    ...(o.minGrade ? { minGrade: o.minGrade } : {}),
    collection: 'collection.tsv',
    splits,
  };
  writeFileSync(manifest, `${JSON.stringify(m, null, 2)}\n`);
  return { dir, manifest, passages: P, queries };
}
