// The live fiscal audit reads every record: it runs in a worker thread, so
// that the server's other requests and the scheduler go on meanwhile (on
// the main thread, five audits asked at once held everything for 10 s).

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { BackupCenter } from '../../src/index.js';
import { removeDir, tempDir } from '../helpers.js';

describe('the live fiscal audit', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('leaves the main thread free while it reads, and finds the same as before', async () => {
    const home = path.join(dir, 'home');
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 600, days: 40 });
    const center = await BackupCenter.open(home);
    try {
      // Count the event loop's turns while the audit runs: on the main
      // thread there are none (the audit is one synchronous read).
      let turns = 0;
      let spinning = true;
      const spin = () => {
        turns++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      const audit = await center.fiscalAudit();
      spinning = false;
      assert.ok(turns > 1000, `only ${turns} turns of the event loop during the audit`);
      assert.equal(audit.ok, true);
      assert.equal(audit.records.count, 600);
    } finally {
      center.close();
    }
  });
});
