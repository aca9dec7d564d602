import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { discover } from '../../server/src/scan/files';
import { tempWorkspace } from '../helpers';

test('discovery: a root written with a trailing slash, ./ or .. names its files as path.join would', () => {
  const dir = tempWorkspace({ 'a/x.c': 'int x;\n', 'a/b/y.h': 'int y;\n', 'a/notes.txt': 'no\n' });
  const want = [path.join(dir, 'a', 'b', 'y.h'), path.join(dir, 'a', 'x.c')];
  for (const root of [path.join(dir, 'a'), `${path.join(dir, 'a')}/`, `${dir}//a`, `${dir}/a/b/..`, `${dir}/./a`]) {
    assert.deepEqual(discover([root]).files, want, root);
  }
  const cwd = process.cwd();
  try {
    process.chdir(path.join(dir, 'a'));
    assert.deepEqual(discover(['.']).files, ['b/y.h', 'x.c']);
    assert.deepEqual(discover(['./']).files, ['b/y.h', 'x.c']);
    // A file given by name keeps the name it was given.
    assert.deepEqual(discover(['./x.c']).files, ['./x.c']);
  } finally {
    process.chdir(cwd);
  }
  assert.ok(fs.existsSync(want[0]));
});
