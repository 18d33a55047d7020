// Synthetic training triples for tiny-model tests.
import type { TextTriple } from '../../src/data/triples.ts';

const WORDS = [
  'river',
  'bank',
  'money',
  'loan',
  'fish',
  'water',
  'city',
  'tax',
  'school',
  'music',
  'piano',
  'guitar',
  'rain',
  'cloud',
];

export function synthTriples(n: number): TextTriple[] {
  return Array.from({ length: n }, (_, i) => ({
    query: `${WORDS[i % 14]} ${WORDS[(i * 3) % 14]}`,
    positive: `about ${WORDS[i % 14]} and ${WORDS[(i * 3) % 14]} in passage ${i}`,
    negative: `nothing on ${WORDS[(i + 5) % 14]} or ${WORDS[(i * 7 + 1) % 14]} here ${i}`,
  }));
}

export function triplesTsv(t: TextTriple[]): string {
  return t.map((x) => `${x.query}\t${x.positive}\t${x.negative}\n`).join('');
}
