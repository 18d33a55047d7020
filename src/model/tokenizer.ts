// BERT uncased WordPiece via @huggingface/tokenizers (reads tokenizer.json, reproduces the
// reference ids). Truncation is ftlab's: tokenizer.json files often say 128, but
// sentence-transformers runs all-MiniLM-L6-v2 at 256, so the limit comes from the caller.
import { readJsonObject } from '../io/json-file.ts';
import { Tokenizer } from '@huggingface/tokenizers';
import { InputError, UserError } from '../errors.ts';

export class BertTokenizer {
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly #tok: Tokenizer;

  constructor(
    json: Record<string, unknown>,
    readonly maxLength: number,
    source = 'tokenizer.json',
  ) {
    if (!Number.isInteger(maxLength) || maxLength < 2)
      throw new UserError(`max length must be an integer >= 2, got ${maxLength}`);
    try {
      this.#tok = new Tokenizer(json as never, {});
    } catch (e) {
      throw new InputError(source, null, `cannot build a tokenizer: ${(e as Error).message.split('\n')[0]}`);
    }
    const id = (t: string): number => {
      const v = this.#tok.token_to_id(t);
      if (v === undefined || v === null) throw new InputError(source, null, `vocabulary has no ${t} token`);
      return v;
    };
    this.clsId = id('[CLS]');
    this.sepId = id('[SEP]');
    this.padId = id('[PAD]');
  }

  static fromFile(path: string, maxLength: number): BertTokenizer {
    return new BertTokenizer(readJsonObject(path), maxLength, path);
  }

  /** [CLS] wordpieces [SEP], cut to maxLength by dropping trailing wordpieces (the [SEP] stays). */
  encode(text: string): number[] {
    const ids = this.#tok.encode(text, { add_special_tokens: true }).ids;
    if (ids.length <= this.maxLength) return ids;
    const cut = ids.slice(0, this.maxLength - 1);
    cut.push(this.sepId);
    return cut;
  }

  tokens(text: string): string[] {
    return this.encode(text).map((i) => this.#tok.id_to_token(i) ?? '[UNK]');
  }
}
