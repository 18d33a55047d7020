// A tiny structural checker for JSON read from disk: enough to promise the renderers the
// types they rely on, and to name the first field that is wrong ("retrieval[1].table.rows").
export type Shape =
  | 'string'
  | 'number'
  | 'boolean'
  | 'unknown'
  | { nullable: Shape }
  | { optional: Shape } // the key may be absent (object fields only)
  | { array: Shape }
  | { record: Shape }
  | { tuple: Shape[] }
  | { oneOf: readonly (string | null)[] }
  | { object: Record<string, Shape> };

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/** The first mismatch as "path: expected X, got Y", or null when `value` fits `shape`. */
export function mismatch(value: unknown, shape: Shape, path: string): string | null {
  if (typeof shape === 'string') {
    if (shape === 'unknown') return null;
    if (shape === 'number')
      return typeof value === 'number' ? null : `${path}: expected a number, got ${describe(value)}`;
    return typeof value === shape ? null : `${path}: expected a ${shape}, got ${describe(value)}`;
  }
  if ('nullable' in shape) return value === null ? null : mismatch(value, shape.nullable, path);
  if ('optional' in shape) return value === undefined ? null : mismatch(value, shape.optional, path);
  if ('oneOf' in shape) {
    return shape.oneOf.includes(value as string | null)
      ? null
      : `${path}: expected one of ${shape.oneOf.map((s) => JSON.stringify(s)).join(', ')}, got ${JSON.stringify(value)}`;
  }
  if ('array' in shape || 'tuple' in shape) {
    if (!Array.isArray(value)) return `${path}: expected an array, got ${describe(value)}`;
    if ('tuple' in shape && value.length !== shape.tuple.length)
      return `${path}: expected ${shape.tuple.length} items, got ${value.length}`;
    for (let i = 0; i < value.length; i++) {
      const m = mismatch(value[i], 'array' in shape ? shape.array : shape.tuple[i]!, `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return `${path}: expected an object, got ${describe(value)}`;
  const obj = value as Record<string, unknown>;
  if ('record' in shape) {
    for (const [k, v] of Object.entries(obj)) {
      const m = mismatch(v, shape.record, `${path}.${k}`);
      if (m) return m;
    }
    return null;
  }
  for (const [k, s] of Object.entries(shape.object)) {
    if (!(k in obj) && !(typeof s === 'object' && 'optional' in s)) return `${path}: missing field "${k}"`;
    const m = mismatch(obj[k], s, `${path}.${k}`);
    if (m) return m;
  }
  return null;
}
