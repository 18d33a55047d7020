// Locates ../shared/data/msmarco (real data for benchmarks); absent on a user's clone.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHARED_MSMARCO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data', 'msmarco');

export function sharedFile(rel: string): string | null {
  const p = join(SHARED_MSMARCO, rel);
  return existsSync(p) ? p : null;
}
