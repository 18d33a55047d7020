// ftlab geometry: Figure 1 (UMAP of query / relevant-passage pairs) and the numbers beside it.
import type { Command } from '../command.ts';
import { int, required, str, strs } from '../command.ts';
import { UserError } from '../../errors.ts';
import { resolveDevice, setThreads } from '../../engine/index.ts';
import { runGeometry } from '../../analysis/geometry.ts';
import { parseModelArg } from '../../analysis/model-specs.ts';
import type { GeometryResult } from '../../analysis/types.ts';
import { writeAtomic } from '../../io/atomic-file.ts';
import { formatTable } from '../table.ts';

export const geometry: Command = {
  name: 'geometry',
  summary: 'embedding geometry of query / passage pairs, with a UMAP projection (Figure 1)',
  usage: `ftlab geometry --model M [--model M ...] --queries FILE --qrels FILE --collection FILE
               --json FILE [options]

  --model M          the first is the base (drift and neighbour overlap are measured from
                     it); LABEL=M names a model
  --n N              pairs (default 1000), drawn seeded from judgments with grade >=
                     --min-grade (default 2) whose passage has text; fewer available: all
                     are used and the output says so
  --seed S           pair sample and UMAP (default 42)
  --no-umap          numbers only
  --json FILE        the result: numbers per model, UMAP points tagged query / passage
  --device D  --threads N

Numbers (unit vectors): alignment (mean ||q - p||^2 of pairs), uniformity (log mean
exp(-2 ||x - y||^2) over different items), anisotropy (mean cosine of different items),
effective rank (exp entropy of normalised singular values), mean cosine of a query with
its passage and with other passages, drift from the base (mean cosine of the same text's
vectors) and neighbour overlap with the base (mean Jaccard of 10 nearest neighbours).
UMAP: umap-js, 15 neighbours, min_dist 0.1, cosine, seeded; the same for every model.`,
  options: {
    model: { type: 'string', multiple: true },
    queries: { type: 'string' },
    qrels: { type: 'string' },
    collection: { type: 'string' },
    n: { type: 'string' },
    'min-grade': { type: 'string' },
    seed: { type: 'string' },
    'no-umap': { type: 'boolean', default: false },
    json: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    device: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
  },
  async run(values) {
    const models = strs(values, 'model').map(parseModelArg);
    if (models.length === 0) throw new UserError('give at least one --model');
    const out = required(values, 'json');
    const minGrade = str(values, 'min-grade') === undefined ? 2 : Number(str(values, 'min-grade'));
    if (!Number.isInteger(minGrade))
      throw new UserError(`--min-grade must be an integer, got '${str(values, 'min-grade')}'`);
    setThreads(int(values, 'threads'));
    const result = await runGeometry({
      models,
      queriesFile: required(values, 'queries'),
      qrelsFile: required(values, 'qrels'),
      collectionPath: required(values, 'collection'),
      n: int(values, 'n') ?? 1000,
      minGrade,
      seed: int(values, 'seed', 0) ?? 42,
      umap: values['no-umap'] !== true,
      device: resolveDevice(str(values, 'device')),
      log: values.quiet === true ? undefined : (l) => process.stderr.write(`geometry: ${l}\n`),
    });
    writeAtomic(out, (f) => f.write(`${JSON.stringify(result)}\n`));
    process.stdout.write(geometryTable(result));
  },
};

function geometryTable(r: GeometryResult): string {
  const f = (x: number | null): string => (x === null ? '-' : x.toFixed(4));
  const rows = r.models.map((m) => [
    m.model,
    f(m.alignment),
    f(m.uniformity),
    f(m.anisotropy),
    m.effectiveRank.toFixed(1),
    f(m.meanPairCosine),
    f(m.meanOtherCosine),
    f(m.driftFromBase),
    f(m.neighbourOverlapWithBase),
  ]);
  return (
    `${r.pairs} pairs (grade >= ${r.minGrade}, seed ${r.seed})\n` +
    formatTable(
      [
        'model',
        'alignment',
        'uniformity',
        'anisotropy',
        'eff. rank',
        'cos(q,p+)',
        'cos(q,other p)',
        'drift',
        'nn overlap',
      ],
      rows,
    ) +
    (r.notes ?? []).map((n) => `note: ${n}\n`).join('')
  );
}
