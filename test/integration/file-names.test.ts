// Issue 10, item 10: files whose names hold a newline, a carriage return or
// a backslash are listed in SHA256SUMS the way GNU sha256sum escapes them, so
// that both `sha256sum -c` and Coffre accept the archive; symbolic links in
// the files folder follow the documented policy and are reported.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackupCenter, type BackupResult } from '../../src/index.js';
import { checkUnpackedByHand, removeDir, run, tempDir } from '../helpers.js';

describe('awkward file names and links in the files folder (issue 10, item 10)', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  const images = path.join(home, 'demo-register', 'images');
  const outside = path.join(dir, 'outside.jpg');
  const awkward = ['new\nline.jpg', 'back\\slash.jpg', 'both\\n\nand\r.jpg', 'sub\ndir/photo.jpg'];
  let center: BackupCenter;
  let backup: BackupResult;
  after(() => {
    center?.close();
    removeDir(dir);
  });

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 2 });
    for (const name of awkward) {
      fs.mkdirSync(path.dirname(path.join(images, name)), { recursive: true });
      fs.writeFileSync(path.join(images, name), `bytes of ${name}`);
    }
    const first = fs.readdirSync(images).find((n) => n.endsWith('.jpg') && !n.includes('\n'))!;
    fs.symlinkSync(first, path.join(images, 'alias.jpg'));
    fs.writeFileSync(outside, 'a file outside the app folder');
    fs.symlinkSync(outside, path.join(images, 'escape.jpg'));
    fs.symlinkSync('missing.jpg', path.join(images, 'broken.jpg'));
    fs.symlinkSync('sub\ndir', path.join(images, 'folder-link'));
    center = await BackupCenter.open(home);
    backup = await center.backup();
  });

  it('Coffre verifies (deep) and restores the archive it made', async () => {
    const report = await center.verify(backup.id, { deep: true });
    assert.equal(report.level, 'deep');
    const restored = await center.restore(backup.id, { confirm: () => true });
    assert.equal(restored.applied, true);
    for (const name of awkward) {
      assert.equal(fs.readFileSync(path.join(images, name), 'utf8'), `bytes of ${name}`);
    }
  });

  it('GNU sha256sum -c accepts the entry list, and the lines are escaped as sha256sum escapes them', () => {
    const out = path.join(dir, 'unpacked');
    fs.mkdirSync(out);
    run('sh', [
      '-c',
      `zstd -q -d -c "$0" | tar -x -C "$1"`,
      path.join(home, 'backups', backup.archive),
      out,
    ]);
    checkUnpackedByHand(out);
    const sums = fs.readFileSync(path.join(out, 'coffre', 'SHA256SUMS'), 'utf8');
    // What GNU sha256sum itself prints for these files, line for line.
    const gnu = run(
      'sha256sum',
      awkward.map((n) => `files/${n}`),
      { cwd: out },
    );
    for (const line of gnu.split('\n').filter(Boolean)) assert.ok(sums.includes(line + '\n'), line);
  });

  it('follows a link that stays inside the folder, and reports the links it skips', () => {
    const names = (fs.readdirSync(images, { recursive: true }) as string[]).sort();
    // The link inside the folder came back as the file it pointed to.
    assert.ok(fs.lstatSync(path.join(images, 'alias.jpg')).isFile());
    for (const skipped of ['escape.jpg', 'broken.jpg', 'folder-link']) {
      assert.ok(!names.includes(skipped), `${skipped} is not restored`);
      assert.ok(
        backup.warnings.some(
          (w) =>
            w.code === 'FILE_SKIPPED' && w.data.path === skipped && w.message.includes(skipped),
        ),
        `a warning names ${skipped}: ${JSON.stringify(backup.warnings)}`,
      );
    }
    assert.ok(!backup.warnings.some((w) => w.message.includes('alias.jpg')));
    assert.equal(backup.counts.files, 2 + awkward.length + 1);
  });
});
