// ftlab's version, read once from package.json: the CLI's --version, results.json's
// environment and the ONNX producer all say the same.
import { readFileSync } from 'node:fs';

export const FTLAB_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
