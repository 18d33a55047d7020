// The first problem zod found in a JSON document, as one line naming its JSON path:
// "results.retrieval[1].table.rows[2].metrics.nDCG@10.mean: expected a number, got string".
import type { z } from 'zod';

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);
const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** `root` then `.key` for each field and `[i]` for each array index. */
export function jsonPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : `${s}.${String(k)}`), root);
}

/** One line for the error's first issue (parse with `reportInput: true` so it can say what was found). */
export function firstIssue(error: z.ZodError, root: string): string {
  const issue = error.issues[0];
  if (!issue) return `${root}: invalid`;
  const at = jsonPath(root, issue.path);
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_type') {
    if (input === undefined && issue.path.length > 0) {
      const field = issue.path[issue.path.length - 1]!;
      return `${jsonPath(root, issue.path.slice(0, -1))}: missing field "${String(field)}"`;
    }
    return `${at}: expected ${article(issue.expected)}, got ${describe(input)}`;
  }
  if (issue.code === 'invalid_value')
    return `${at}: expected ${issue.values.length > 1 ? 'one of ' : ''}${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(input)}`;
  return `${at}: ${issue.message}`;
}
