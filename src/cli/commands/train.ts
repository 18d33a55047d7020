// ftlab train: fine-tune a model on triples (full fine-tuning or LoRA).
import type { Command, Values } from '../command.ts';
import { int, num, required, str } from '../command.ts';
import { checkModelOptions, loadEncoder, modelHelp, modelOptions, promptFlags } from '../shared-options.ts';
import { Progress } from '../progress.ts';
import { loadTextTriples, type TextTriple } from '../../data/triples.ts';
import { Random } from '../../data/random.ts';
import { loadQueries } from '../../data/queries.ts';
import { loadQrels } from '../../data/qrels.ts';
import { loadCollection } from '../../data/collection.ts';
import { loadRun } from '../../data/run.ts';
import { TRIPLET_PRESETS } from '../../train/losses/triplet-loss.ts';
import { parseLoraSpec } from '../../model/lora.ts';
import { train, type TrainConfig, type RetrievalEvaluator } from '../../train/trainer.ts';
import { TRAIN_DEFAULTS } from '../../train/train-config.ts';
import { checkTrainConfig } from '../../train/config-guards.ts';
import { checkOutputFree } from '../../train/output-folder.ts';
import { denseEvaluator, rerankEvaluator } from '../../train/retrieval-evaluator.ts';
import type { Distance } from '../../train/losses/distance.ts';
import { parseMetrics } from '../../eval/metric.ts';
import { UserError } from '../../errors.ts';
import { joinWorld } from '../../engine/index.ts';

export const trainCommand: Command = {
  name: 'train',
  summary: 'fine-tune on triples: triplet or MNRL loss, full or LoRA, resumable',
  usage: `ftlab train --train TRIPLES --output DIR [options]

Data:
  --train FILE            query<TAB>positive<TAB>negative (.gz/.tar.gz accepted)
  --eval FILE             held-out triples (else --eval-fraction of --train, seeded)
  --eval-fraction F       default 0.01 (at most 1000 triples)
  --eval-queries Q --eval-qrels QR --eval-collection C
                          also compute a retrieval metric at each evaluation (dense
                          retrieval over C); --eval-metric (default RR@10) picks it
  --eval-candidates RUN   re-rank RUN's candidates instead of retrieving over C (cheaper)
  --best-metric NAME      the metric that picks DIR/best (default: the retrieval metric
                          when given, else tripletAccuracy)
Loss:
  --preset paper-text|paper-run
                          paper-text: cosine distance, margin 0.2, normalised output;
                          paper-run: euclidean, margin 5, unnormalised output, batch 1024
                          (full) / 512 (LoRA) — what the paper's code ran
  --loss triplet|mnrl     default triplet
  --distance cosine|euclidean|manhattan   --margin M (>= 0)   --scale S (MNRL, > 0, default 20)
  --normalize true|false  L2-normalise the model output (default: the preset's, else true)
Optimisation:
  --batch-size N (default 128)  --grad-accumulation N (default 1)  --lr (> 0, default 2e-5)
  --warmup-steps N | --warmup-ratio R (default 1000 steps)  --epochs N (default 1)
  --max-steps N  --weight-decay (default 0.01)  --max-grad-norm (default 1.0)  --seed (42)
  --lora r=16,alpha=32,dropout=0.05,targets=query,value   (LoRA instead of full tuning)
Checkpoints and logs:
  --eval-every N          optimizer steps between evaluations (default: at the end only)
  --save-every N          also checkpoint every N optimizer steps (default: by time only)
  --save-every-minutes M  checkpoint when M minutes of training passed since the last one
                          (default 10; 0 = off), so a kill loses at most that much work
  --keep-checkpoints N    checkpoints kept while training (default 1: the latest)
  --keep-optimizer-state  keep DIR/checkpoints (optimizer state) after the run finishes
  --resume                continue the run in DIR from its last checkpoint; refused when
                          the settings or the training file differ; with no checkpoint
                          it starts fresh (so scripts can always pass it)
  --allow-config-change   with --resume: continue despite changed settings (logged)
  --overwrite             replace a model or checkpoints already in DIR
  Ctrl-C (or SIGTERM) saves a checkpoint at the next step and exits 130; press it again
  to quit at once. A run that diverges (NaN/inf loss, gradient or weights) stops with
  exit 1, keeps its last good checkpoint and writes no model.
  DIR/log.jsonl has one line per step (loss, lr, grad norm, tokens/s, memory) and per
  evaluation; DIR is a model folder (\`ftlab embed --model DIR\`), DIR/best the best one.
${modelHelp}`,
  options: {
    train: { type: 'string' },
    eval: { type: 'string' },
    'eval-fraction': { type: 'string' },
    'eval-queries': { type: 'string' },
    'eval-qrels': { type: 'string' },
    'eval-collection': { type: 'string' },
    'eval-candidates': { type: 'string' },
    'eval-metric': { type: 'string' },
    'best-metric': { type: 'string' },
    preset: { type: 'string' },
    loss: { type: 'string' },
    distance: { type: 'string' },
    margin: { type: 'string' },
    scale: { type: 'string' },
    normalize: { type: 'string' },
    'grad-accumulation': { type: 'string' },
    lr: { type: 'string' },
    'warmup-steps': { type: 'string' },
    'warmup-ratio': { type: 'string' },
    epochs: { type: 'string' },
    'max-steps': { type: 'string' },
    'weight-decay': { type: 'string' },
    'max-grad-norm': { type: 'string' },
    seed: { type: 'string' },
    lora: { type: 'string' },
    'eval-every': { type: 'string' },
    'save-every': { type: 'string' },
    'save-every-minutes': { type: 'string' },
    'keep-optimizer-state': { type: 'boolean', default: false },
    'keep-checkpoints': { type: 'string' },
    resume: { type: 'boolean', default: false },
    overwrite: { type: 'boolean', default: false },
    'allow-config-change': { type: 'boolean', default: false },
    output: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    ...modelOptions,
  },
  distributed: true,
  async run(values, _positionals, ctx) {
    const output = required(values, 'output');
    const trainPath = required(values, 'train');
    const cfg = trainConfig(values);
    const model = checkModelOptions(values);
    checkTrainConfig(cfg, { maxPositions: model.maxPositions });
    const world = joinWorld(model.device); // data-parallel over the ranks of WORLD_SIZE, if set
    const flags = {
      resume: values.resume === true,
      overwrite: values.overwrite === true,
      allowConfigChange: values['allow-config-change'] === true,
    };
    checkOutputFree(output, flags);
    const fraction = evalFraction(values);
    const metrics = str(values, 'eval-metric') ?? 'RR@10';
    parseMetrics(metrics);
    const { triples } = await loadTextTriples(trainPath);
    const { trainSet, evalSet } = await split(values, triples, cfg.seed, fraction);
    const retrievalEval = await retrievalEvaluator(values, metrics);
    const encoder = loadEncoder(values);
    const quiet = values.quiet === true || world.rank !== 0;
    const progress = new Progress('train', 0, 'steps', process.stderr, !quiet);
    const result = await ctx.gracefully((signal) =>
      train(encoder, trainSet, evalSet, cfg, {
        output,
        ...flags,
        retrievalEval,
        bestMetric: str(values, 'best-metric'),
        signal,
        notice: (line) => {
          if (world.rank === 0) process.stderr.write(`train: ${line}\n`);
        },
        onStep: (s, total) => {
          progress.total = total;
          progress.update(
            s.step,
            `loss ${s.loss.toFixed(4)} lr ${s.lr.toExponential(2)} ${s.tokensPerSec.toFixed(0)} tok/s`,
          );
        },
        onEval: (e) => {
          if (!quiet)
            process.stderr.write(
              `eval @${e.step}: ${Object.entries(e)
                .filter(([k]) => k !== 'type' && k !== 'step')
                .map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(4) : v}`)
                .join(', ')}\n`,
            );
        },
      }),
    );
    if (!quiet) {
      process.stderr.write(
        `train: ${result.steps} steps; trainable ${result.trainable.toLocaleString('en')} of ${result.total.toLocaleString('en')} parameters ` +
          `(${((100 * result.trainable) / result.total).toFixed(2)}%)${result.best ? `; best ${result.best.metric} ${result.best.value.toFixed(4)} at step ${result.best.step}` : ''}\n`,
      );
    }
  },
};

export function trainConfig(values: Values): TrainConfig {
  const presetName = str(values, 'preset');
  if (presetName !== undefined && !(presetName in TRIPLET_PRESETS))
    throw new UserError(`unknown --preset '${presetName}' (paper-text or paper-run)`);
  const preset = presetName ? TRIPLET_PRESETS[presetName as keyof typeof TRIPLET_PRESETS] : null;
  const loss = str(values, 'loss') ?? 'triplet';
  if (loss !== 'triplet' && loss !== 'mnrl') throw new UserError(`--loss must be triplet or mnrl, got '${loss}'`);
  const distance = str(values, 'distance') ?? preset?.distance ?? 'cosine';
  if (!['cosine', 'euclidean', 'manhattan'].includes(distance))
    throw new UserError(`--distance must be cosine, euclidean or manhattan, got '${distance}'`);
  const normalizeFlag = str(values, 'normalize');
  if (normalizeFlag !== undefined && normalizeFlag !== 'true' && normalizeFlag !== 'false')
    throw new UserError('--normalize must be true or false');
  const lora = str(values, 'lora') !== undefined ? parseLoraSpec(str(values, 'lora')!) : null;
  const warmupRatio = num(values, 'warmup-ratio');
  if (warmupRatio !== undefined && (warmupRatio < 0 || warmupRatio >= 1))
    throw new UserError('--warmup-ratio must be in [0, 1)');
  return {
    model: str(values, 'model') ?? 'default',
    loss,
    distance: distance as Distance,
    margin: num(values, 'margin') ?? preset?.margin ?? 0.2,
    mnrlScale: num(values, 'scale') ?? TRAIN_DEFAULTS.mnrlScale,
    normalize: normalizeFlag !== undefined ? normalizeFlag === 'true' : (preset?.normalize ?? true),
    batchSize: int(values, 'batch-size') ?? (preset ? (lora ? preset.batchSizeLora : preset.batchSizeFull) : 128),
    gradAccumulation: int(values, 'grad-accumulation') ?? TRAIN_DEFAULTS.gradAccumulation,
    lr: num(values, 'lr') ?? TRAIN_DEFAULTS.lr,
    warmup: warmupRatio ?? int(values, 'warmup-steps', 0) ?? TRAIN_DEFAULTS.warmup,
    epochs: int(values, 'epochs') ?? TRAIN_DEFAULTS.epochs,
    maxSteps: int(values, 'max-steps') ?? null,
    weightDecay: num(values, 'weight-decay') ?? TRAIN_DEFAULTS.weightDecay,
    maxGradNorm: num(values, 'max-grad-norm') ?? TRAIN_DEFAULTS.maxGradNorm,
    lora,
    seed: int(values, 'seed', 0) ?? TRAIN_DEFAULTS.seed,
    evalEvery: int(values, 'eval-every', 0) ?? TRAIN_DEFAULTS.evalEvery,
    saveEvery: int(values, 'save-every', 0) ?? TRAIN_DEFAULTS.saveEvery,
    keepCheckpoints: int(values, 'keep-checkpoints') ?? TRAIN_DEFAULTS.keepCheckpoints,
    saveEveryMinutes: num(values, 'save-every-minutes') ?? 10,
    keepOptimizerState: values['keep-optimizer-state'] === true,
    ...(int(values, 'max-length', 2) !== undefined ? { maxLength: int(values, 'max-length', 2) } : {}),
    ...(Object.keys(promptFlags(values)).length > 0 ? { prompts: promptFlags(values) } : {}),
  };
}

function evalFraction(values: Values): number {
  const fraction = num(values, 'eval-fraction') ?? 0.01;
  if (fraction < 0 || fraction >= 1) throw new UserError(`--eval-fraction must be in [0, 1), got ${fraction}`);
  return fraction;
}

async function split(
  values: Values,
  triples: TextTriple[],
  seed: number,
  fraction: number,
): Promise<{ trainSet: TextTriple[]; evalSet: TextTriple[] }> {
  const evalPath = str(values, 'eval');
  if (evalPath) return { trainSet: triples, evalSet: (await loadTextTriples(evalPath)).triples };
  const nEval = fraction === 0 ? 0 : Math.min(1000, Math.max(1, Math.round(triples.length * fraction)));
  const idx = new Random([seed, 0xe7a1, 1, 2]).shuffle(triples.map((_, i) => i));
  const held = new Set(idx.slice(0, nEval));
  return { trainSet: triples.filter((_, i) => !held.has(i)), evalSet: triples.filter((_, i) => held.has(i)) };
}

async function retrievalEvaluator(values: Values, metrics: string): Promise<RetrievalEvaluator | undefined> {
  const q = str(values, 'eval-queries');
  const qr = str(values, 'eval-qrels');
  const c = str(values, 'eval-collection');
  const candidatesPath = str(values, 'eval-candidates');
  if (!q && !qr && !c && !candidatesPath) return undefined;
  if (!q || !qr || !c)
    throw new UserError(
      '--eval-queries, --eval-qrels and --eval-collection go together (--eval-candidates needs them too)',
    );
  const queries = await loadQueries(q);
  const qrels = await loadQrels(qr);
  const { collection } = await loadCollection(c);
  if (candidatesPath)
    return rerankEvaluator({
      queries,
      qrels,
      collection,
      candidates: await loadRun(candidatesPath),
      metrics,
      batchSize: int(values, 'batch-size'),
    });
  return denseEvaluator({
    queries,
    qrels,
    collection,
    collectionPath: c,
    metrics,
    batchSize: int(values, 'batch-size'),
  });
}
