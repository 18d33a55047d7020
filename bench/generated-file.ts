// Writes large synthetic MS MARCO-shaped files for scale benchmarks (once; reused).
import { createWriteStream, existsSync, renameSync } from 'node:fs';
import { once } from 'node:events';

const WORDS =
  'the of and to in is was for on that with as by at from his an were are which this be also or had first one their its new after who they have two her she been other when time during there into school more may years over only year most would world city some where between later three state such used then made known under many film however well'.split(
    ' ',
  );

/** Lines from make(i), written in 4 MB blocks; skipped when the file exists. */
export async function generateFile(
  path: string,
  lines: number,
  make: (i: number, rnd: () => number) => string,
): Promise<void> {
  if (existsSync(path)) return;
  const tmp = `${path}.tmp`;
  const out = createWriteStream(tmp);
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  let block: string[] = [];
  let size = 0;
  for (let i = 0; i < lines; i++) {
    const l = make(i, rnd);
    block.push(l);
    size += l.length;
    if (size > 4 << 20) {
      if (!out.write(block.join(''))) await once(out, 'drain');
      block = [];
      size = 0;
    }
  }
  out.write(block.join(''));
  out.end();
  await once(out, 'finish');
  renameSync(tmp, path);
}

export function sentence(rnd: () => number, words: number): string {
  const w: string[] = [];
  for (let k = 0; k < words; k++) w.push(WORDS[Math.floor(rnd() * WORDS.length)]!);
  return w.join(' ');
}
