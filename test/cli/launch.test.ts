// ftlab launch as a new user meets it: each mistake (no --nproc, no --, an unknown or
// single-process command, a bad port, a flag the command does not have) is one line and exit 1
// before any rank starts; a command that fails on every rank is one line naming its file, not
// one per rank; `-- CMD --help` shows that command's help.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { distributedInfo } from '../../src/engine/index.ts';
import { tmpDir } from '../helpers/tiny-model.ts';
import { assertOneLineError, ftlab } from '../helpers/cli.ts';

const skip = distributedInfo().gloo ? false : 'this engine build has no c10d/Gloo (libtorch 1.13 or no libgloo-dev)';

test('launch mistakes are one line, exit 1, before any rank starts', () => {
  const cases: [string[], RegExp][] = [
    [['launch', '--', 'train'], /^ftlab: --nproc N is required/],
    [['launch', '--nproc', '0', '--', 'train'], /^ftlab: --nproc must be an integer >= 1, got '0'$/],
    [['launch', '--nproc', 'two', '--', 'train'], /^ftlab: --nproc must be an integer >= 1, got 'two'$/],
    [['launch', '--nproc', '2'], /^ftlab: give the command after --/],
    [
      ['launch', '--nproc', '2', 'train', '--train', 'x'],
      /^ftlab: Unknown option '--train' \(put the command .*after --/,
    ],
    [
      ['launch', '--nproc', '2', '--', 'bogus'],
      /^ftlab: unknown command 'bogus' after -- \(ftlab launch runs embed, search, train, study\)$/,
    ],
    [
      ['launch', '--nproc', '2', '--', 'eval', '--run', 'x', '--qrels', 'y'],
      /^ftlab: ftlab eval does not run across ranks/,
    ],
    [['launch', '--nproc', '2', '--', 'launch'], /^ftlab: ftlab launch does not run across ranks/],
    [['launch', '--nproc', '2', '--master-port', '70000', '--', 'train'], /^ftlab: --master-port must be a TCP port/],
    [
      ['launch', '--nproc', '2', '--', 'train', '--bogus-flag'],
      /^ftlab: Unknown option '--bogus-flag' \(ftlab train --help\)$/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = ftlab(args);
    assertOneLineError(r, re);
    assert.equal(r.code, 1, args.join(' '));
  }
});

test("launch -- CMD --help prints CMD's help, not launch's", () => {
  const r = ftlab(['launch', '--nproc', '2', '--', 'train', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Usage: ftlab train --train TRIPLES/);
});

test('a command failing alike on 2 ranks is one line naming its file and the ranks, exit 1', { skip }, () => {
  const out = join(tmpDir(), 'out');
  const r = ftlab(['launch', '--nproc', '2', '--', 'train', '--train', '/no/such/triples.tsv', '--output', out]);
  assertOneLineError(r, /^ftlab: ranks 0, 1 of 2: \/no\/such\/triples\.tsv: no such file$/);
  assert.equal(r.code, 1);
  assert.equal(existsSync(out), false, 'no output folder');
});
