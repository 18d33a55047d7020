// A tiny JSON Schema (2020-12) checker for the keywords z.toJSONSchema writes for
// results.json, so a test can show the published schema accepts what the reader accepts
// without adding a validator dependency. Any other keyword throws: the check never passes
// by ignoring what it does not understand.
type Schema = Record<string, unknown>;

const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default']);

function typeOf(v: unknown): string[] {
  if (v === null) return ['null'];
  if (Array.isArray(v)) return ['array'];
  if (typeof v === 'number') return Number.isInteger(v) ? ['number', 'integer'] : ['number'];
  return [typeof v];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first violation as "path: keyword ...", or null when `value` satisfies `schema`. */
export function jsonSchemaViolation(value: unknown, schema: Schema | boolean, path = '$'): string | null {
  if (schema === true) return null;
  if (schema === false) return `${path}: not allowed`;
  for (const [kw, arg] of Object.entries(schema)) {
    const v = keyword(kw, arg, value, schema, path);
    if (v) return v;
  }
  return null;
}

function keyword(kw: string, arg: unknown, value: unknown, schema: Schema, path: string): string | null {
  if (ANNOTATIONS.has(kw)) return null;
  switch (kw) {
    case 'type':
      return typeOf(value).some((t) => ([arg].flat() as string[]).includes(t)) ? null : `${path}: type ${arg}`;
    case 'const':
      return JSON.stringify(value) === JSON.stringify(arg) ? null : `${path}: const ${JSON.stringify(arg)}`;
    case 'enum':
      return (arg as unknown[]).includes(value) ? null : `${path}: enum ${JSON.stringify(arg)}`;
    case 'minimum':
      return typeof value !== 'number' || value >= (arg as number) ? null : `${path}: minimum ${arg}`;
    case 'maximum':
      return typeof value !== 'number' || value <= (arg as number) ? null : `${path}: maximum ${arg}`;
    case 'anyOf':
      return (arg as Schema[]).some((s) => jsonSchemaViolation(value, s, path) === null) ? null : `${path}: anyOf`;
    case 'required': {
      const missing = isObject(value) ? (arg as string[]).find((k) => !(k in value)) : undefined;
      return missing === undefined ? null : `${path}: required "${missing}"`;
    }
    case 'properties':
    case 'additionalProperties':
    case 'propertyNames':
      return isObject(value) ? objectKeyword(kw, arg, value, schema, path) : null;
    case 'items':
    case 'prefixItems':
    case 'minItems':
    case 'maxItems':
      return Array.isArray(value) ? arrayKeyword(kw, arg, value, schema, path) : null;
    default:
      throw new Error(`json-schema-check: keyword "${kw}" is not supported (at ${path})`);
  }
}

function objectKeyword(kw: string, arg: unknown, value: Record<string, unknown>, schema: Schema, path: string) {
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  for (const [k, v] of Object.entries(value)) {
    const sub = kw === 'properties' ? props[k] : kw === 'propertyNames' ? undefined : k in props ? undefined : arg;
    const found = kw === 'propertyNames' ? jsonSchemaViolation(k, arg as Schema, `${path}.${k}`) : null;
    if (found) return found;
    if (sub !== undefined) {
      const inner = jsonSchemaViolation(v, sub as Schema | boolean, `${path}.${k}`);
      if (inner) return inner;
    }
  }
  return null;
}

function arrayKeyword(kw: string, arg: unknown, value: unknown[], schema: Schema, path: string): string | null {
  if (kw === 'minItems') return value.length >= (arg as number) ? null : `${path}: minItems ${arg}`;
  if (kw === 'maxItems') return value.length <= (arg as number) ? null : `${path}: maxItems ${arg}`;
  const prefix = (schema.prefixItems ?? []) as Schema[];
  for (let i = 0; i < value.length; i++) {
    const sub = kw === 'prefixItems' ? prefix[i] : i >= prefix.length ? (arg as Schema | boolean) : undefined;
    const inner = sub === undefined ? null : jsonSchemaViolation(value[i], sub, `${path}[${i}]`);
    if (inner) return inner;
  }
  return null;
}
