// ftlab study: the fine-tuning study (see src/experiment/runner.ts).
import type { Command } from '../command.ts';
import { int, num, required, str, type Values } from '../command.ts';
import { joinWorld, resolveDevice, setThreads, world } from '../../engine/index.ts';
import { runStudy, studyPlan } from '../../experiment/runner.ts';
import { selectArms, type TripletConfigName } from '../../experiment/arms.ts';
import { PAPER_RUN, PAPER_TEXT, PRESETS, QUICK } from '../../experiment/presets.ts';
import { withoutOverrides, type ArmOverride } from '../../experiment/arm-shape.ts';
import type { StudyDataset, StudyDefaults } from '../../experiment/dataset.ts';
import { manifestDataset, manifestPath } from '../../experiment/manifest-dataset.ts';
import type { PresetName, StudyOptions } from '../../experiment/options.ts';
import { Progress } from '../progress.ts';
import { checkPrecision, precisionFlag } from '../shared-options.ts';
import { UserError } from '../../errors.ts';

export const study: Command = {
  name: 'study',
  summary: 'run the fine-tuning study (arms, dose-response, statistics, analysis) and write results.json + report.md',
  usage: `ftlab study --output DIR [--preset quick|standard|paper-run|paper-text|paper] [--data DIR|MANIFEST.json] [options]

--preset quick (default): on DIR/trec-dl (../shared/data/msmarco), train on DL20 judgments and
test on DL19, and the reverse, the test queries pooled (--folds one: DL20 -> DL19 only); one epoch
over the training positives; 20% of the training queries held out by query for validation.
Arms: base, full-random, full-hard, lora-random, lora-hard (lr 2e-5), lora-hard-lr1e-3, recipe;
recipe-l2sp (a variant) when --arms names it. --preset paper-run
and paper-text: DIR holds the official MS MARCO files (collection.tsv, queries.train.tsv,
qrels.train.tsv, triples.train.small.tar.gz, queries.dev.small.tsv, qrels.dev.small.tsv); every
arm 3 epochs, full-hard 5 (as the paper); paper-run is what the paper's code ran (batch
${PAPER_RUN.defaults.batchSize} for full fine-tuning, 512 for LoRA, warm-up 10%, --config paper-run), paper-text what its text
states (batch ${PAPER_TEXT.defaults.batchSize}, ${PAPER_TEXT.defaults.warmup} warm-up steps, --config paper-text); --preset paper is paper-run.
--batch-size, --warmup, --epochs or --steps set that value for every arm. --preset standard:
the quick preset's data trained to convergence (both folds pooled, 3 seeds, 3 epochs,
full-hard 5; see the plan's projected time). Your own data: --data DIR holding
ftlab-dataset.json, or --data FILE.json, a
manifest (collection, train / optional validation / test splits of queries, qrels and an
optional first-stage run; README "Your own dataset") selects it and --preset gives only the
defaults: one fold train -> test, re-ranking the test run (else dense retrieval over the
collection), nDCG@10, RR@10, R@100 at the manifest's minGrade. Every file it names is checked
before any work. Stages are cached in the run folder: rerunning reuses what matches. Ctrl-C
while an arm trains saves a checkpoint and stops (the same command continues it); a second
Ctrl-C, or one in any other stage, stops at once. Across workers (ftlab launch --nproc N -- study ...,
or torchrun): each arm x seed x fold unit runs on the worker that claims it, every worker writing
into the same --output; rank 0 writes results.json and the report (README "Scale-out").
--parallel data trains each unit on all workers together instead (data-parallel: each a slice of
every batch, gradients averaged; its evaluations sharded), for more workers than units.

  --arms a,b,...          arms to run (base always; default all but the variant recipe-l2sp)
  --config paper-run|paper-text   triplet configuration (default paper-run; --preset paper-text: paper-text)
  --folds one|both        quick preset folds (default both; one: dl20->dl19; a manifest has one)
  --steps N  --batch-size N  --warmup W   (quick: ${QUICK.defaults.epochs} epoch, ${QUICK.defaults.batchSize}, ${QUICK.defaults.warmup};
                          paper-run: epochs, ${PAPER_RUN.defaults.batchSize} (LoRA 512), ${PAPER_RUN.defaults.warmup}; paper-text: epochs, ${PAPER_TEXT.defaults.batchSize}, ${PAPER_TEXT.defaults.warmup})
  --dose 0,0.25,0.5,1     fractions of training evaluated on the test fold
  --protocol rerank|dense|both   (quick: rerank; paper: dense; manifest: rerank with a test run, else dense)
  --rerank-depth N        test queries' BM25 candidates re-ranked (default 100)
  --validation-depth N    validation queries' candidates re-ranked to choose checkpoints (quick 30)
  --mining-depth N        BM25 candidates per training query searched for hard negatives (default 100)
  --mining-pool candidates|pool  hard negatives among the training queries' candidates (default) or the whole
                          training part of the pool (the default for a manifest without a training run)
  --guard-margin M        false-negative guard margin (default 0); --no-guard turns it off
  --timing-queries N      dev-small queries timed (quick ${QUICK.defaults.timingQueries}, paper ${PAPER_RUN.defaults.timingQueries}; 0 skips)
  --timing-repeats N      --geometry-pairs N (0 skips)  --no-umap
  --paper-triples N       paper preset: triples sampled (default ${PAPER_RUN.defaults.paperTriples})
  --seeds N               training seeds per trained arm, seed k = --seed + k (quick 1, standard 3)
  --sweeps / --no-sweeps  choose lora-hard-lr1e-3's lr in {2e-4, 1e-3} and recipe's preservation weight in {1, 5}
                          on validation only, at the first seed, before the seeds train (standard: on)
  --epochs E              training length in epochs over all training triples, steps = ceil(E x triples / batch)
                          (quick 1; standard, paper-run, paper-text: 3, full-hard 5; --steps alone trains that many steps)
  --negatives-per-positive K   training triples per positive where the pool allows (default 1)
  --equivalence-margin M  declared margin on nDCG@10 for the verdicts (default 0.02)
  --alpha A               family-wise alpha of the verdict table, Bonferroni over its rows (default 0.05)
  --assumed-sd S          assumed sd of per-query nDCG@10 differences for the planned MDE (default 0.05)
  --plan                  print the plan (stages, projected time from measured throughput, design) and stop
  --no-retrain            a model trained under another configuration is an error, not retrained
  --precision fp32|bf16|int8   the linear layers' arithmetic in every evaluation encode: test re-ranking and
                          dense retrieval of the base and the arms (chosen and final checkpoints, the last dose
                          point), timing, geometry (default fp32; bf16/int8 on the CPU only). Training, its
                          validation, its dose snapshots and the mining of training negatives stay fp32, so a
                          run folder's trained arms are reused by every precision and only evaluations rerun
  --parallel units|data   across workers: each unit on the worker that claims it (units, default) or
                          on all of them together (data; each arm's batch must split evenly)
  --model SPEC  --seed S  --threads N  --device auto|cpu|cuda[:N]  --cache-dir DIR`,
  options: {
    output: { type: 'string' },
    data: { type: 'string' },
    preset: { type: 'string' },
    arms: { type: 'string' },
    config: { type: 'string' },
    folds: { type: 'string' },
    steps: { type: 'string' },
    'batch-size': { type: 'string' },
    warmup: { type: 'string' },
    dose: { type: 'string' },
    protocol: { type: 'string' },
    'rerank-depth': { type: 'string' },
    'validation-depth': { type: 'string' },
    'mining-depth': { type: 'string' },
    'mining-pool': { type: 'string' },
    'guard-margin': { type: 'string' },
    'no-guard': { type: 'boolean', default: false },
    'timing-queries': { type: 'string' },
    'timing-repeats': { type: 'string' },
    'geometry-pairs': { type: 'string' },
    'no-umap': { type: 'boolean', default: false },
    'paper-triples': { type: 'string' },
    'no-retrain': { type: 'boolean', default: false },
    precision: { type: 'string' },
    model: { type: 'string' },
    seed: { type: 'string' },
    seeds: { type: 'string' },
    sweeps: { type: 'boolean', default: false },
    'no-sweeps': { type: 'boolean', default: false },
    epochs: { type: 'string' },
    'negatives-per-positive': { type: 'string' },
    'equivalence-margin': { type: 'string' },
    alpha: { type: 'string' },
    'assumed-sd': { type: 'string' },
    threads: { type: 'string' },
    device: { type: 'string' },
    'cache-dir': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    plan: { type: 'boolean', default: false },
    parallel: { type: 'string' },
  },
  distributed: true,
  async run(values, _positionals, ctx) {
    setThreads(int(values, 'threads'));
    const precision = precisionFlag(values);
    const device = resolveDevice(str(values, 'device') ?? 'auto');
    checkPrecision(precision, device);
    joinWorld(device); // across workers when WORLD_SIZE is set: units claimed through the group's store
    const preset = oneOf(values, 'preset', Object.keys(PRESETS) as PresetName[], 'quick');
    const dataset = await studyDataset(str(values, 'data'), PRESETS[preset]);
    const d = dataset.defaults;
    const protocol = oneOf(values, 'protocol', ['rerank', 'dense', 'both'] as const, d.protocols[0]!);
    const protocols: ('rerank' | 'dense')[] = protocol === 'both' ? ['rerank', 'dense'] : [protocol];
    const miningPool = oneOf(values, 'mining-pool', ['candidates', 'pool'] as const, d.miningPool ?? 'candidates');
    if (dataset.name === 'manifest') checkManifestFlags(d, { protocols, miningPool, folds: str(values, 'folds') });
    const dose = (str(values, 'dose') ?? d.dose.join(',')).split(',').map(Number);
    if (dose.some((x) => !(x >= 0 && x <= 1)))
      throw new UserError(`--dose takes fractions in [0, 1], got '${str(values, 'dose')}'`);
    const quiet = values.quiet === true;
    if (dataset.name === 'manifest' && !quiet && world().rank === 0)
      process.stderr.write(`study: the dataset described by ${d.data} (other defaults: --preset ${preset})\n`);
    // on the dataset chosen above
    const run = (o: StudyOptions) => (values.plan === true ? studyPlan(o, dataset) : runStudy(o, dataset));
    await run({
      // `paper` is an alias: the run records the preset it stands for
      preset: dataset.name === 'manifest' ? preset : dataset.name,
      data: str(values, 'data') ?? d.data ?? required(values, 'data'),
      output: required(values, 'output'),
      config: oneOf(
        values,
        'config',
        ['paper-run', 'paper-text'] as const,
        d.config ?? 'paper-run',
      ) as TripletConfigName,
      folds: oneOf(values, 'folds', ['one', 'both'] as const, d.folds),
      arms: selectArms(str(values, 'arms') ?? d.arms ?? undefined),
      steps: int(values, 'steps') ?? d.steps,
      // --steps alone means steps (not the preset's epochs)
      epochs: positive(values, 'epochs') ?? (str(values, 'steps') !== undefined ? null : d.epochs),
      perArm: withoutOverrides(d.perArm, flagged(values)),
      negativesPerPositive: int(values, 'negatives-per-positive') ?? d.negativesPerPositive,
      batchSize: int(values, 'batch-size') ?? d.batchSize,
      warmup: num(values, 'warmup') ?? d.warmup,
      seed: int(values, 'seed', 0) ?? 42,
      seeds: int(values, 'seeds') ?? d.seeds,
      sweeps: values.sweeps === true || (values['no-sweeps'] !== true && d.sweeps),
      equivalenceMargin: positive(values, 'equivalence-margin') ?? 0.02,
      alpha: fraction(values, 'alpha') ?? 0.05,
      assumedSd: positive(values, 'assumed-sd') ?? 0.05,
      validationFraction: d.validationFraction,
      dose,
      rerankDepth: int(values, 'rerank-depth') ?? d.rerankDepth,
      validationDepth: int(values, 'validation-depth') ?? d.validationDepth,
      miningDepth: int(values, 'mining-depth') ?? d.miningDepth,
      protocols,
      miningPool,
      guardMargin: values['no-guard'] === true ? null : (num(values, 'guard-margin') ?? 0),
      timingQueries: int(values, 'timing-queries', 0) ?? d.timingQueries,
      timingRepeats: int(values, 'timing-repeats') ?? d.timingRepeats,
      geometryPairs: int(values, 'geometry-pairs', 0) ?? d.geometryPairs,
      umap: values['no-umap'] !== true,
      paperTriples: int(values, 'paper-triples') ?? d.paperTriples,
      model: str(values, 'model') ?? 'default',
      precision,
      device,
      cacheDir: str(values, 'cache-dir'),
      onMismatch: values['no-retrain'] === true ? 'error' : 'retrain',
      parallel: oneOf(values, 'parallel', ['units', 'data'] as const, 'units'),
      gracefully: ctx.gracefully,
      log: (l) => {
        if (!quiet) process.stderr.write(`${l}\n`);
      },
      progress: (label, total, unit) => new Progress(label, total, unit, process.stderr, !quiet),
    });
  },
};

/** A manifest named by --data (read and checked now, before anything is written), else the preset's own layout. */
async function studyDataset(data: string | undefined, preset: StudyDataset): Promise<StudyDataset> {
  const manifest = data === undefined ? null : manifestPath(data);
  return manifest ? manifestDataset(manifest, preset.defaults) : preset;
}

/** Flags a manifest's dataset cannot honour: refused before any work. */
function checkManifestFlags(
  d: StudyDefaults,
  f: { protocols: readonly string[]; miningPool: string; folds: string | undefined },
): void {
  if (f.folds === 'both') throw new UserError(`--folds both: ${d.data} describes one fold (train -> test)`);
  if (f.protocols.includes('rerank') && !d.protocols.includes('rerank'))
    throw new UserError(`--protocol ${f.protocols.join(',')}: the test split of ${d.data} has no "run" to re-rank`);
  if (f.miningPool === 'candidates' && d.miningPool === 'pool')
    throw new UserError(`--mining-pool candidates: the train split of ${d.data} has no "run" to search`);
}

function oneOf<T extends string>(values: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T {
  const v = values[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !allowed.includes(v as T))
    throw new UserError(`--${name} must be ${allowed.join(' or ')}, got '${String(v)}'`);
  return v as T;
}

/** The per-arm fields a flag sets for every arm: --epochs or --steps (length), --batch-size, --warmup. */
function flagged(values: Values): (keyof ArmOverride)[] {
  const out: (keyof ArmOverride)[] = [];
  if (str(values, 'epochs') !== undefined || str(values, 'steps') !== undefined) out.push('epochs');
  if (str(values, 'batch-size') !== undefined) out.push('batchSize');
  if (str(values, 'warmup') !== undefined) out.push('warmup');
  return out;
}

function positive(values: Values, name: string): number | undefined {
  const v = num(values, name);
  if (v !== undefined && !(v > 0)) throw new UserError(`--${name} must be > 0, got ${v}`);
  return v;
}

function fraction(values: Values, name: string): number | undefined {
  const v = num(values, name);
  if (v !== undefined && !(v > 0 && v < 1)) throw new UserError(`--${name} must be in (0, 1), got ${v}`);
  return v;
}
