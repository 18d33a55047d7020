// Deterministic release of native memory, as tf.tidy does: every tensor made inside
// `tidy(fn)` is disposed when fn returns, except the tensors in its result (handed to the
// enclosing scope) and those passed to `keep`. Tensors made outside any scope live until
// `dispose()` (or, as a backstop only, garbage collection).

export interface Disposable {
  dispose(): void;
  readonly disposed: boolean;
}

const stack: Set<Disposable>[] = [];

/** Called by every tensor constructor. */
export function track(t: Disposable): void {
  if (stack.length > 0) stack[stack.length - 1]!.add(t);
}

/** Takes `t` out of every open scope: it lives until disposed by hand. */
export function keep<T extends Disposable>(t: T): T {
  for (const scope of stack) scope.delete(t);
  return t;
}

function collect(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if (isDisposable(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as Record<string, unknown>)) collect(v, out, depth + 1);
  }
}

function isDisposable(v: object): v is Disposable {
  return typeof (v as Disposable).dispose === 'function' && 'disposed' in v;
}

/** Runs fn; disposes what it made except what it returns (tensors, or arrays/objects/Maps of them). */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  stack.pop();
  const returned = new Set<Disposable>();
  collect(result, returned);
  for (const t of scope) {
    if (!returned.has(t)) t.dispose();
  }
  const parent = stack[stack.length - 1];
  if (parent) for (const t of returned) if (scope.has(t)) parent.add(t);
  return result;
}
