import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isCoffreError } from '../../src/core/errors.js';
import { FolderDestination, stalePartial } from '../../src/destinations/folder.js';
import { removeDir, tempDir } from '../helpers.js';
import { destinationContract } from './contract.js';

const dir = tempDir();
after(() => removeDir(dir));
let n = 0;

destinationContract('local folder', () =>
  Promise.resolve(
    new FolderDestination('local', 'local', path.join(dir, `local-${n++}`, 'backups')),
  ),
);
destinationContract('external folder', () => {
  const folder = path.join(dir, `usb-${n++}`);
  fs.mkdirSync(folder);
  return Promise.resolve(new FolderDestination('usb', 'external', folder));
});

describe('external folder', () => {
  it('is never created: a missing folder means an unplugged drive', async () => {
    const dest = new FolderDestination('usb', 'external', path.join(dir, 'not-plugged'));
    await assert.rejects(dest.check(), (err) => isCoffreError(err, 'DESTINATION_UNAVAILABLE'));
    await assert.rejects(dest.list(), (err) => isCoffreError(err, 'DESTINATION_UNAVAILABLE'));
    assert.equal(fs.existsSync(path.join(dir, 'not-plugged')), false);
  });
});

describe('partial files left by a power cut (issue 10, item 12)', () => {
  const register = 'c0ffee12-0000-4000-8000-000000000000';
  const archive = 'shop_20261120-100000-000_c0ffee12.tar.zst';
  const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const thisBoot = bootId.replace(/-/g, '').slice(0, 8);
  // The PID of a process that is alive now (this one's parent): after a reboot,
  // the new daemon often gets the PID its predecessor had.
  const reused = process.ppid;

  it('names a partial file with this boot, and keeps it while its writer lives', async () => {
    const folder = path.join(dir, 'boot-names');
    const dest = new FolderDestination('local', 'local', folder);
    const upload = await dest.put(archive);
    upload.stream.write(Buffer.alloc(100));
    const partials = fs.readdirSync(folder).filter((f) => f.startsWith('.partial-'));
    assert.deepEqual(partials, [`.partial-${process.pid}.${thisBoot}-${archive}`]);
    assert.equal(await dest.sweep(register), 0);
    await upload.abort();
    assert.deepEqual(fs.readdirSync(folder), []);
  });

  it('sweeps a partial file of an earlier boot even when its PID is in use again', async () => {
    const folder = path.join(dir, 'reboot');
    fs.mkdirSync(folder);
    const earlierBoot = thisBoot === '00000000' ? '11111111' : '00000000';
    const fromEarlierBoot = `.partial-${reused}.${earlierBoot}-${archive}`;
    fs.writeFileSync(path.join(folder, fromEarlierBoot), 'half an archive');
    // Made by a Coffre that did not record the boot: its date says it is older than this boot.
    const legacy = `.partial-${reused}-${archive.replace('100000', '100001')}`;
    fs.writeFileSync(path.join(folder, legacy), 'half an archive');
    const beforeBoot = new Date(Date.now() - os.uptime() * 1000 - 3600_000);
    fs.utimesSync(path.join(folder, legacy), beforeBoot, beforeBoot);
    // This boot's, by a live process: kept.
    const live = `.partial-${reused}.${thisBoot}-${archive.replace('100000', '100002')}`;
    fs.writeFileSync(path.join(folder, live), 'being written');
    const dest = new FolderDestination('usb', 'external', folder);
    assert.equal(await dest.sweep(register), 2);
    assert.deepEqual(fs.readdirSync(folder), [live]);
  });

  it('decides from the boot, the date and the process, in that order', () => {
    const now = Date.UTC(2026, 10, 20, 12);
    const system = (bootId: string | null, alive: boolean) => ({
      bootId,
      bootTimeMs: now - 3600_000,
      alive: () => alive,
    });
    const cases: [string, number, ReturnType<typeof system>, string | null][] = [
      [`.partial-7.aaaaaaaa-${archive}`, now, system('bbbbbbbb', true), archive],
      [`.partial-7.aaaaaaaa-${archive}`, now, system('aaaaaaaa', true), null],
      [`.partial-7.aaaaaaaa-${archive}`, now, system('aaaaaaaa', false), archive],
      // A system without boot ids: only the process tells.
      [`.partial-7.aaaaaaaa-${archive}`, now, system(null, true), null],
      [`.partial-7-${archive}`, now - 7200_000, system('aaaaaaaa', true), archive],
      [`.partial-7-${archive}`, now - 60_000, system('aaaaaaaa', true), null],
      [`.partial-7-${archive}`, now - 60_000, system('aaaaaaaa', false), archive],
      ['.partial-x-y', now, system('aaaaaaaa', false), null],
    ];
    for (const [name, mtimeMs, facts, expected] of cases) {
      assert.equal(stalePartial({ name, mtimeMs }, facts), expected, `${name} ${mtimeMs}`);
    }
  });
});
