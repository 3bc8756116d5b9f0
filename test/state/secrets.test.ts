// Issue 10, item 4: every secret file (passphrase, database key, age
// identity, cloud credentials) goes through one reader that refuses a file
// other users may read, and an empty one. Real files with real modes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BackupCenter } from '../../src/center.js';
import { isCoffreError } from '../../src/core/errors.js';
import {
  checkSecretFile,
  readCredentialsFile,
  readIdentityFiles,
  readSecretFile,
} from '../../src/state/secrets.js';
import { removeDir, run, tempDir } from '../helpers.js';

describe('secret files (issue 10, item 4)', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  function secret(name: string, text: string, mode: number): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    fs.chmodSync(file, mode);
    return file;
  }

  it('refuses a passphrase, key or identity file that group or others may read', () => {
    const identity = path.join(dir, 'age-key.txt');
    run('age-keygen', ['-o', identity]);
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o606]) {
      const pass = secret(`pass-${mode.toString(8)}`, 'correct horse\n', mode);
      assert.throws(
        () => readSecretFile(pass),
        (err) =>
          isCoffreError(err, 'SECRET_FILE_UNSAFE') &&
          err.message.includes(`chmod 600 ${pass}`) &&
          !err.message.includes('correct horse'),
        mode.toString(8),
      );
      assert.throws(
        () => checkSecretFile(pass),
        (err) => isCoffreError(err, 'SECRET_FILE_UNSAFE'),
      );
      fs.chmodSync(identity, mode);
      assert.throws(
        () => readIdentityFiles([identity]),
        (err) => isCoffreError(err, 'SECRET_FILE_UNSAFE'),
      );
    }
    fs.chmodSync(identity, 0o600);
    assert.equal(readIdentityFiles([identity]).length, 1);
    assert.equal(readSecretFile(secret('pass-ok', 'correct horse\n', 0o600)), 'correct horse');
    assert.equal(readSecretFile(secret('pass-ro', 'correct horse\n', 0o400)), 'correct horse');
  });

  it('refuses an empty passphrase file, or one whose first line is empty', () => {
    for (const [name, text] of [
      ['empty', ''],
      ['blank-line', '\nsecond line\n'],
    ]) {
      const file = secret(name, text, 0o600);
      assert.throws(
        () => checkSecretFile(file),
        (err) => isCoffreError(err, 'USAGE'),
        name,
      );
    }
  });

  it('refuses credentials files by the same rule, with the cloud code', () => {
    const file = secret(
      'credentials',
      '[default]\naws_access_key_id = AKIA\naws_secret_access_key = s3cret\n',
      0o640,
    );
    assert.throws(
      () => readCredentialsFile(file),
      (err) => isCoffreError(err, 'DESTINATION_AUTH') && /chmod 600/.test(err.message),
    );
    fs.chmodSync(file, 0o600);
    assert.equal(readCredentialsFile(file).accessKeyId, 'AKIA');
  });

  it('a backup refuses a configured passphrase file that others may read, before writing anything', async () => {
    const home = path.join(dir, 'home');
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1 });
    const center = await BackupCenter.open(home);
    try {
      const pass = secret('home-pass', 'correct horse\n', 0o644);
      // Refused when it is set...
      await assert.rejects(center.setEncryption({ recipients: [], passphraseFile: pass }), (err) =>
        isCoffreError(err, 'SECRET_FILE_UNSAFE'),
      );
      // ...and when it was loosened after it was set.
      fs.chmodSync(pass, 0o600);
      await center.setEncryption({ recipients: [], passphraseFile: pass });
      fs.chmodSync(pass, 0o644);
      await assert.rejects(center.backup(), (err) => isCoffreError(err, 'SECRET_FILE_UNSAFE'));
      assert.deepEqual(fs.readdirSync(path.join(home, 'backups')), []);
      fs.chmodSync(pass, 0o600);
      assert.equal((await center.backup()).encrypted, true);
    } finally {
      center.close();
    }
  });
});
