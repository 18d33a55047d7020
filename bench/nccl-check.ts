// The distributed engine on GPUs (scripts/device-check.sh --nccl): a process group over NCCL of
// world size 1, and of 2 ranks (one GPU each) when the machine has 2 GPUs: all-reduce, all-gather
// with gradients and broadcast on CUDA tensors. Prints ONE JSON line; exits 1 when a check fails.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { distributedInfo, joinWorld, leaveWorld, tensor } from '../src/engine/index.ts';
import { native } from '../src/engine/native.ts';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 29500));
    });
  });
}

/** This rank's checks: values each rank should see, given ranks 0..size-1 contribute rank + 1. */
function rankChecks(): Record<string, boolean | number> {
  const rank = Number(process.env.RANK);
  const size = Number(process.env.WORLD_SIZE);
  const w = joinWorld(`cuda:${process.env.LOCAL_RANK}`);
  const dev = `cuda:${process.env.LOCAL_RANK}`;
  const x = tensor([rank + 1, 10], [2]).to(dev);
  w.allReduce(x, 'sum');
  const sum = (size * (size + 1)) / 2;
  const [a, b] = x.f32();
  const g = tensor([rank + 1], [1, 1]).to(dev);
  g.setRequiresGrad(true);
  const all = w.allGather(g); // [size, 1]
  all.mul(all).sum().backward(); // d/dg_r of sum over ranks of (sum_j g_j^2) = size * 2 g_r
  const grad = g.grad!.f32()[0]!;
  const bc = tensor([rank === 0 ? 7 : 0], [1]).to(dev);
  w.broadcast(bc, 0);
  leaveWorld(true);
  return {
    allReduce: a === sum && b === 10 * size,
    allGather: all.shape[0] === size,
    gatherGradient: Math.abs(grad - size * 2 * (rank + 1)) < 1e-6,
    broadcast: bc.f32()[0] === 7,
  };
}

/** One rank of a world of `size` (all ranks run at once), killed after 2 minutes. */
function runRank(size: number, rank: number, port: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, NCCL_CHECK_RANK: '1', WORLD_SIZE: String(size), RANK: String(rank) };
  Object.assign(env, { LOCAL_RANK: String(rank), MASTER_ADDR: '127.0.0.1', MASTER_PORT: port });
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!], { env, timeout: 120_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += String(d);
  });
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

async function main(): Promise<void> {
  if (process.env.NCCL_CHECK_RANK) {
    process.stdout.write(`${JSON.stringify(rankChecks())}\n`);
    return;
  }
  const out: Record<string, unknown> = { ...distributedInfo(), gpus: native.cudaDeviceCount() };
  let ok = Boolean(out.nccl) && Number(out.gpus) >= 1;
  for (const size of [1, 2]) {
    if (!ok || size > Number(out.gpus)) continue;
    const port = String(await freePort());
    const ranks = await Promise.all(Array.from({ length: size }, (_, r) => runRank(size, r, port)));
    out[`world${size}`] = ranks.map((p) => (p.code === 0 ? JSON.parse(p.stdout.trim()) : p.stderr.trim()));
  }
  ok &&= Object.keys(out)
    .filter((k) => k.startsWith('world'))
    .every((k) => (out[k] as unknown[]).every((r) => typeof r === 'object' && Object.values(r!).every(Boolean)));
  process.stdout.write(`${JSON.stringify({ ok, ...out })}\n`);
  process.exitCode = ok ? 0 : 1;
}

await main();
