// A passage collection (`pid<TAB>text`) held compactly: the UTF-8 bytes of all texts in a
// few large pages, plus typed-array offsets — not millions of JS strings. The full MS MARCO
// collection (8.8M passages, ~3 GB) fits in ~3.2 GB this way; bench/collection-load.ts
// measures it. Texts are decoded only when asked for.
import { existsSync, statSync } from 'node:fs';
import { InputError } from '../errors.ts';
import { displayName, forEachLineBytes } from './lines.ts';

const PAGE = 256 * 1024 * 1024; // bytes per page; a passage never straddles two pages
const decoder = new TextDecoder('utf-8');

export class Collection {
  #pages: Uint8Array[] = [];
  #used = 0; // bytes used in the last page
  #page = new Uint32Array(1024); // passage -> page
  #start = new Uint32Array(1024); // passage -> offset in page
  #length = new Uint32Array(1024); // passage -> byte length
  #ids: string[] | null = null; // non-numeric ids, if any
  #numericIds = new Float64Array(1024);
  #lineNo = new Uint32Array(1024); // passage -> line in the source file (0: not from a file)
  #byNumericId: Int32Array | null = null;
  #byStringId: Map<string, number> | null = null;
  #size = 0;

  constructor(readonly source = 'collection') {}

  get size(): number {
    return this.#size;
  }
  get bytes(): number {
    return this.#pages.reduce((a, p) => a + p.length, 0);
  }

  /** Appends a passage from raw bytes. */
  addBytes(id: string, buf: Uint8Array, start: number, end: number, lineNo = 0): void {
    const len = end - start;
    if (this.#pages.length === 0 || this.#used + len > this.#pages[this.#pages.length - 1]!.length) {
      this.#pages.push(new Uint8Array(Math.max(PAGE, len)));
      this.#used = 0;
    }
    const page = this.#pages[this.#pages.length - 1]!;
    page.set(buf.subarray(start, end), this.#used);
    const i = this.#size;
    this.#grow(i + 1);
    this.#page[i] = this.#pages.length - 1;
    this.#start[i] = this.#used;
    this.#length[i] = len;
    this.#lineNo[i] = lineNo;
    this.#used += len;
    this.#setId(i, id);
    this.#size++;
  }

  add(id: string, text: string): void {
    const b = Buffer.from(text, 'utf8');
    this.addBytes(id, b, 0, b.length);
  }

  #grow(n: number): void {
    if (n <= this.#page.length) return;
    const cap = Math.max(n, this.#page.length * 2);
    const g = <T extends Uint32Array | Float64Array>(a: T, make: (c: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.#page = g(this.#page, (c) => new Uint32Array(c));
    this.#start = g(this.#start, (c) => new Uint32Array(c));
    this.#length = g(this.#length, (c) => new Uint32Array(c));
    this.#numericIds = g(this.#numericIds, (c) => new Float64Array(c));
    this.#lineNo = g(this.#lineNo, (c) => new Uint32Array(c));
  }

  /** The error for passage `i` repeating the id of passage `first`, naming both lines. */
  #duplicate(first: number, i: number): InputError {
    const [a, b] = [this.#lineNo[first]!, this.#lineNo[i]!];
    const detail = `id ${this.id(i)} appears twice`;
    return a > 0 && b > 0 ? new InputError(this.source, b, detail, a) : new InputError(this.source, null, detail);
  }

  #setId(i: number, id: string): void {
    const n = this.#ids === null && /^\d{1,15}$/.test(id) ? Number(id) : NaN;
    if (!Number.isNaN(n)) {
      this.#numericIds[i] = n;
      return;
    }
    if (this.#ids === null) {
      // first non-numeric id: switch to string ids for everything
      this.#ids = Array.from({ length: this.#size }, (_, k) => String(this.#numericIds[k]));
    }
    this.#ids[i] = id;
  }

  id(i: number): string {
    return this.#ids ? this.#ids[i]! : String(this.#numericIds[i]);
  }

  text(i: number): string {
    const p = this.#pages[this.#page[i]!]!;
    return decoder.decode(p.subarray(this.#start[i]!, this.#start[i]! + this.#length[i]!));
  }

  /** Position of a passage id, or -1. The index is built on first use. */
  indexOf(id: string): number {
    if (this.#ids) {
      if (!this.#byStringId) {
        this.#byStringId = new Map();
        this.#ids.forEach((v, i) => {
          const first = this.#byStringId!.get(v);
          if (first !== undefined) throw this.#duplicate(first, i);
          this.#byStringId!.set(v, i);
        });
      }
      return this.#byStringId.get(id) ?? -1;
    }
    if (!this.#byNumericId) {
      let max = 0;
      for (let i = 0; i < this.#size; i++) max = Math.max(max, this.#numericIds[i]!);
      if (max > 2 ** 31 - 2) {
        this.#byStringId = new Map(Array.from({ length: this.#size }, (_, i) => [this.id(i), i]));
        this.#ids = Array.from({ length: this.#size }, (_, i) => this.id(i));
        return this.indexOf(id);
      }
      this.#byNumericId = new Int32Array(max + 1).fill(-1);
      for (let i = 0; i < this.#size; i++) {
        const n = this.#numericIds[i]!;
        if (this.#byNumericId[n] !== -1) throw this.#duplicate(this.#byNumericId[n]!, i);
        this.#byNumericId[n] = i;
      }
    }
    if (!/^\d{1,15}$/.test(id)) return -1;
    const n = Number(id);
    return n < this.#byNumericId.length ? this.#byNumericId[n]! : -1;
  }

  has(id: string): boolean {
    return this.indexOf(id) >= 0;
  }
}

/**
 * Loads `pid<TAB>text` lines (.tsv or .gz) without decoding them. A line without a tab, or
 * with an empty id, is an error at file:line unless skipBad counts it instead; a repeated
 * id is always an error.
 */
export async function loadCollection(
  path: string,
  opts: { skipBad?: boolean; what?: string; onProgress?: (bytes: number, total: number) => void } = {},
): Promise<{ collection: Collection; skipped: number }> {
  const file = displayName(path);
  const c = new Collection(file);
  const total = path === '-' || path.endsWith('.gz') || !existsSync(path) ? 0 : statSync(path).size;
  let skipped = 0;
  let seen = 0;
  await forEachLineBytes(path, (buf, start, end, no) => {
    seen += end - start + 1;
    let tab = -1;
    for (let k = start; k < end; k++)
      if (buf[k] === 9) {
        tab = k;
        break;
      }
    if (tab <= start) {
      if (opts.skipBad) {
        skipped++;
        return;
      }
      throw new InputError(file, no, `expected ${opts.what ?? 'pid<TAB>text'}`);
    }
    const id = decoder.decode(buf.subarray(start, tab));
    c.addBytes(id, buf, tab + 1, end, no);
    if (opts.onProgress && (c.size & 0xffff) === 0) opts.onProgress(seen, total);
  });
  if (c.size === 0)
    throw new InputError(
      file,
      null,
      `no ${opts.what ?? 'pid<TAB>text'} lines${skipped ? ` (${skipped} malformed lines skipped)` : ''}`,
    );
  c.indexOf('0'); // builds the id index now, so a repeated id fails the load
  return { collection: c, skipped };
}
