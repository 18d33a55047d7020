/** One query's judgments: docid -> grade (unjudged documents are absent, i.e. grade 0). */
export type Judgments = ReadonlyMap<string, number>;

export function countRelevant(judged: Judgments, rel: number): number {
  let n = 0;
  for (const g of judged.values()) if (g >= rel) n++;
  return n;
}
