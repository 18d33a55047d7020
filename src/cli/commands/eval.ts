// ftlab eval: a run scored against qrels.
import type { Command } from '../command.ts';
import { required, str } from '../command.ts';
import { formatTable } from '../table.ts';
import { loadQrels } from '../../data/qrels.ts';
import { loadRun } from '../../data/run.ts';
import { evaluate } from '../../eval/evaluate.ts';
import { parseMetrics } from '../../eval/metric.ts';

export const DEFAULT_METRICS = 'RR@10,RR@100,nDCG@10,R@100';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'score a run against qrels (values equal trec_eval / the MS MARCO evaluator)',
  usage: `ftlab eval --qrels QRELS --run RUN [--metrics LIST] [--json] [--per-query]

  --qrels FILE      qid 0 docid grade (tabs or spaces)
  --run FILE        TREC (qid Q0 docid rank score tag) or MS MARCO (qid<TAB>pid<TAB>rank)
  --metrics LIST    comma-separated, ir_measures syntax (default ${DEFAULT_METRICS});
                    e.g. "nDCG@10,RR(rel=2)@10,R(rel=2)@100,P@10,AP,AP@100"
  --json            print {"metric": mean, ...} (per-query values too with --per-query)
  --per-query       a row per query

TREC runs are ranked by score (ties: docid descending) over queries in both files, as
trec_eval; MS MARCO runs by rank over every qrels query, as the official evaluator.`,
  options: {
    qrels: { type: 'string' },
    run: { type: 'string' },
    metrics: { type: 'string', default: DEFAULT_METRICS },
    json: { type: 'boolean', default: false },
    'per-query': { type: 'boolean', default: false },
  },
  async run(values) {
    const metrics = parseMetrics(str(values, 'metrics') ?? DEFAULT_METRICS);
    const qrelsPath = required(values, 'qrels');
    const qrels = await loadQrels(qrelsPath);
    const run = await loadRun(required(values, 'run'));
    const e = evaluate(run, qrels, metrics, qrelsPath);
    const answered = [...run.queries.keys()].filter((q) => qrels.has(q)).length;
    if (run.format === 'msmarco' && answered < qrels.size) {
      process.stderr.write(
        `eval: MS MARCO run: the run answers ${answered} of the ${qrels.size} judged queries; as the official evaluator, the mean divides by all ${qrels.size} (a missing query scores 0)\n`,
      );
    }
    const given = (str(values, 'metrics') ?? DEFAULT_METRICS)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (values.json === true) {
      const mean = Object.fromEntries(given.map((m, i) => [m, e.mean[i]]));
      const out =
        values['per-query'] === true
          ? {
              ...mean,
              perQuery: Object.fromEntries(
                [...e.perQuery].map(([q, v]) => [q, Object.fromEntries(given.map((m, i) => [m, v[i]]))]),
              ),
            }
          : mean;
      process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return;
    }
    const rows =
      values['per-query'] === true ? [...e.perQuery].map(([q, v]) => [q, ...v.map((x) => x.toFixed(4))]) : [];
    rows.push([`all (${e.queries.length} queries)`, ...e.mean.map((x) => x.toFixed(4))]);
    process.stdout.write(formatTable(['query', ...e.metrics], rows));
  },
};
