import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isCoffreError } from '../../src/core/errors.js';
import { FolderDestination } from '../../src/destinations/folder.js';
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
