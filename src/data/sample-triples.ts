// One streaming pass over a triples file (raw bytes, never decoded unless kept), keeping a
// uniform seeded sample of n lines.
import { InputError } from '../errors.ts';
import { displayName, forEachLineBytes } from './lines.ts';
import { Random } from './random.ts';
import { Reservoir } from './reservoir.ts';
import { isTripleLine } from './triples.ts';

export async function sampleTriples(
  path: string,
  n: number,
  seed: number,
  skipBad: boolean,
): Promise<{ reservoir: Reservoir<Uint8Array>; skipped: number }> {
  const reservoir = new Reservoir<Uint8Array>(n, new Random(seed));
  let skipped = 0;
  await forEachLineBytes(path, (buf, start, end, no) => {
    if (!isTripleLine(buf, start, end)) {
      if (skipBad) {
        skipped++;
        return;
      }
      throw new InputError(displayName(path), no, 'expected query<TAB>positive<TAB>negative (3 non-empty fields)');
    }
    reservoir.offer(() => new Uint8Array(buf.subarray(start, end))); // a copy: a view would pin its whole read chunk
  });
  return { reservoir, skipped };
}
