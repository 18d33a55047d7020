// ftlab timing: Table II, the time to answer N queries, per stage and end to end.
import type { Command } from '../command.ts';
import { int, required, str, strs } from '../command.ts';
import { UserError } from '../../errors.ts';
import { resolveDevice, setThreads } from '../../engine/index.ts';
import { runTiming, type TimingOptions } from '../../analysis/timing.ts';
import { timingModels } from '../../analysis/model-specs.ts';
import type { TimingResult } from '../../analysis/types.ts';
import { writeAtomic } from '../../io/atomic-file.ts';
import { formatTable } from '../table.ts';
import { precisionFlag, precisionHelp } from '../shared-options.ts';

export const timing: Command = {
  name: 'timing',
  summary: 'query latency per stage and end to end, QPS (Table II)',
  usage: `ftlab timing --model M [--model M ...] --queries FILE
             (--collection FILE | --embeddings FILE.npy | --synthetic N) [options]

  --model M          'default', a model folder, or a LoRA folder (timed unmerged and merged
                     in memory); repeat for several; LABEL=M names a row
  --queries FILE     qid<TAB>query; cycled in file order when it has fewer than --n
  --n N              queries to answer (default 10000)
  --k K              results per query (default 200, as the paper)
  --repeats R        timed repeats after one warm-up pass (default 3): median, min, max
  --collection FILE  pid<TAB>text: its vectors come from the embedding cache (encoded once)
  --embeddings FILE  a float32 [N, C] .npy of passage vectors (the same for every model)
  --synthetic N      N seeded random unit vectors of the model's width (search at full scale)
  --paper-protocol   also time what the paper's script timed: model load, reading the
                     passage vectors from disk and writing the run inside the clock
  --seed S           synthetic vectors (default 42)
  --json FILE        write the result as JSON
  --cache-dir D | --no-cache    the embedding cache (default $FTLAB_CACHE or ~/.cache/ftlab)
  --device D  --threads N  --batch-size N
${precisionHelp}

Stages: tokenize, encode (the model), similarity (vectors to the device and the score
matmul), topk (per-chunk top-k, merge, read-back); the total is one clock around them all.`,
  options: {
    model: { type: 'string', multiple: true },
    queries: { type: 'string' },
    n: { type: 'string' },
    k: { type: 'string' },
    repeats: { type: 'string' },
    collection: { type: 'string' },
    embeddings: { type: 'string' },
    synthetic: { type: 'string' },
    'paper-protocol': { type: 'boolean', default: false },
    seed: { type: 'string' },
    json: { type: 'string' },
    'cache-dir': { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    device: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
    'batch-size': { type: 'string' },
    precision: { type: 'string', default: 'fp32' },
  },
  async run(values) {
    const specs = strs(values, 'model');
    if (specs.length === 0) throw new UserError('give at least one --model');
    const sources = (['collection', 'embeddings', 'synthetic'] as const).filter((s) => values[s] !== undefined);
    if (sources.length !== 1) throw new UserError('give exactly one of --collection, --embeddings, --synthetic');
    const passages: TimingOptions['passages'] =
      sources[0] === 'collection'
        ? { collectionPath: required(values, 'collection') }
        : sources[0] === 'embeddings'
          ? { embeddingsNpy: required(values, 'embeddings') }
          : { synthetic: int(values, 'synthetic')! };
    setThreads(int(values, 'threads'));
    const result = await runTiming({
      models: timingModels(specs),
      queriesFile: required(values, 'queries'),
      n: int(values, 'n') ?? 10_000,
      k: int(values, 'k') ?? 200,
      repeats: int(values, 'repeats') ?? 3,
      passages,
      paperProtocol: values['paper-protocol'] === true,
      seed: int(values, 'seed', 0) ?? 42,
      cacheDir: values['no-cache'] === true ? null : str(values, 'cache-dir'),
      device: resolveDevice(str(values, 'device')),
      batchSize: int(values, 'batch-size'),
      precision: precisionFlag(values),
      log: values.quiet === true ? undefined : (l) => process.stderr.write(`timing: ${l}\n`),
    });
    const out = str(values, 'json');
    if (out !== undefined) writeAtomic(out, (f) => f.write(`${JSON.stringify(result, null, 2)}\n`));
    process.stdout.write(timingTable(result));
  },
};

function timingTable(r: TimingResult): string {
  const names = [...new Set(r.rows.flatMap((row) => row.stages.map((s) => s.name)))];
  const rows = r.rows.map((row) => [
    row.model,
    row.protocol,
    ...names.map((n) => {
      const s = row.stages.find((x) => x.name === n);
      return s ? s.medianSeconds.toFixed(3) : '-';
    }),
    `${row.totalMedianSeconds.toFixed(3)} [${row.totalMinSeconds.toFixed(3)}, ${row.totalMaxSeconds.toFixed(3)}]`,
    row.qps.toFixed(1),
  ]);
  const head =
    `${r.queries} queries (${r.distinctQueries} distinct), ${r.passages} ${r.synthetic ? 'synthetic ' : ''}passages x ${r.dim}, k=${r.k}; ` +
    `median of ${r.repeats} after a warm-up, seconds; ${r.environment.device}, ${r.environment.threads} threads, libtorch ${r.environment.torch}\n`;
  const notes = (r.notes ?? []).map((n) => `note: ${n}\n`).join('');
  return head + formatTable(['model', 'protocol', ...names, 'total [min, max]', 'QPS'], rows) + notes;
}
