// Issue 14, start-up: `coffre --version` loads no more than the entry point
// and the version; `coffre status` on a home with no cloud destination loads
// neither the cloud SDK, nor zstd, nor the demo generator, nor any worker.
// A loader hook preloaded with --import writes down every module loaded.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, removeDir, tempDir } from '../helpers.js';

const HOOK = path.join(import.meta.dirname, '..', 'fixtures', 'module-log.js');

/** Runs the CLI with the hook; returns its exit status and the modules it loaded. */
function loaded(dir: string, args: string[]): { status: number | null; modules: string[] } {
  const log = path.join(dir, `modules-${args[0].replace(/\W/g, '')}.txt`);
  fs.rmSync(log, { force: true });
  const r = spawnSync(process.execPath, ['--import', HOOK, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, COFFRE_TEST_MODULE_LOG: log },
  });
  assert.equal(r.status, 0, r.stderr);
  return { status: r.status, modules: fs.readFileSync(log, 'utf8').trim().split('\n') };
}

describe('start-up loads only what the command uses (issue 14)', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  after(() => removeDir(dir));

  it('sees modules loaded later by import(): `demo` loads the demo generator', () => {
    const { modules } = loaded(dir, ['demo', '--home', home, '--receipts', '20', '--images', '3']);
    assert.ok(
      modules.some((m) => m.endsWith('/source/demo.js')),
      `the hook did not see the demo generator: ${modules.length} modules`,
    );
  });

  it('`--version` loads the entry point and the version only', () => {
    const { modules } = loaded(dir, ['--version']);
    const ours = modules.filter((m) => !m.endsWith('/fixtures/module-log-hooks.js'));
    assert.deepEqual(ours.map((m) => m.replace(/^.*\/dist\//, '')).sort(), [
      'src/cli/main.js',
      'src/version.js',
    ]);
  });

  it('`status` of a local-only home loads no cloud SDK, no zstd, no demo, no worker', () => {
    const { modules } = loaded(dir, ['status', '--home', home]);
    assert.ok(
      modules.some((m) => m.endsWith('/src/center.js')),
      'status did not load the center',
    );
    const heavy = modules.filter((m) =>
      /\/@aws-sdk\/|\/@smithy\/|\/zstd-napi\/|\/source\/demo\.js$|-worker\.js$|\/scheduler\//.test(
        m,
      ),
    );
    assert.deepEqual(heavy, []);
  });
});
