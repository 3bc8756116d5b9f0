// Issue 10, item 23: a truncated archive is CORRUPT_ARCHIVE for a restore,
// whatever the offset, and leaves no staging folder next to the app's data:
// the extraction has stopped before the clean-up runs. In-process through
// the facade, many offsets in one process.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackupCenter } from '../../src/center.js';
import { isCoffreError } from '../../src/core/errors.js';
import { removeDir, tempDir } from '../helpers.js';

describe('restore of a truncated archive (issue 10, item 23)', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const app = path.join(home, 'demo-register');
  let center: BackupCenter;
  let original: Buffer;
  let archiveFile: string;
  let id: string;
  after(() => {
    center?.close();
    removeDir(dir);
  });

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 30 });
    center = await BackupCenter.open(home);
    const backup = await center.backup();
    id = backup.id;
    archiveFile = path.join(home, 'backups', backup.archive);
    original = fs.readFileSync(archiveFile);
  });

  function offsets(): number[] {
    const out = new Set<number>([0, 1, 4, 100, 511, 512, 4096, original.length - 1]);
    // Every 1/97th of the file, and a few just past 1 MiB chunk boundaries.
    for (let i = 1; i < 97; i++) out.add(Math.floor((original.length * i) / 97));
    for (let m = 1 << 20; m < original.length; m += 1 << 20) out.add(m + 3);
    return [...out].filter((n) => n < original.length).sort((a, b) => a - b);
  }

  async function attempt(ref: string): Promise<string> {
    try {
      await center.restore(ref, { confirm: () => true });
      return 'ok';
    } catch (err) {
      return isCoffreError(err) ? `${err.code}: ${err.message}` : String(err);
    }
  }

  it('is CORRUPT_ARCHIVE at every offset, by id and as a loose file, with nothing left behind', async () => {
    const loose = path.join(dir, 'loose-' + path.basename(archiveFile));
    const wrong: string[] = [];
    try {
      for (const length of offsets()) {
        const cut = original.subarray(0, length);
        fs.writeFileSync(archiveFile, cut);
        fs.writeFileSync(loose, cut);
        for (const [how, ref] of [
          ['by id', id],
          ['loose', loose],
        ]) {
          const result = await attempt(ref);
          if (!result.startsWith('CORRUPT_ARCHIVE')) wrong.push(`${length} ${how}: ${result}`);
          const debris = fs.readdirSync(app).filter((n) => n.startsWith('.coffre-'));
          if (debris.length > 0) {
            wrong.push(`${length} ${how}: left ${debris.join(', ')}`);
            for (const d of debris) fs.rmSync(path.join(app, d), { recursive: true, force: true });
          }
        }
      }
    } finally {
      fs.writeFileSync(archiveFile, original);
    }
    assert.deepEqual(wrong, []);
    // The whole archive still restores.
    assert.equal((await center.restore(id, { confirm: () => true })).applied, true);
  });
});
