// ftlab's version has one source (src/version.ts reads package.json): the CLI says it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FTLAB_VERSION } from '../../src/version.ts';
import { ftlab } from '../helpers/cli.ts';
import { REPO } from '../helpers/tiny-model.ts';

test('--version and --help print package.json version', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  assert.equal(FTLAB_VERSION, pkg.version);
  const v = ftlab(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout, `${pkg.version}\n`);
  assert.match(ftlab(['--help']).stdout.split('\n')[0]!, new RegExp(`^ftlab ${pkg.version.replaceAll('.', '\\.')}: `));
});
