// The live job feed hears of the end of this process's jobs as soon as the
// job lock is free again, not at its next look at the history: the page
// refused to start a job while its feed still showed the last one running
// ("A restore is already running"), for up to the feed's poll interval after
// a restore plan or a backup.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackupCenter } from '../../src/center.js';
import type { JobFeedEvent } from '../../src/services/jobs.js';
import { removeDir, tempDir } from '../helpers.js';

describe('the job feed', () => {
  const dir = tempDir();
  const home = path.join(dir, 'home');
  let center: BackupCenter;

  before(async () => {
    await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 20 });
    center = await BackupCenter.open(home);
  });
  after(() => {
    center.close();
    removeDir(dir);
  });

  it('says a job of this process ended right after its lock is released', async () => {
    const seen: JobFeedEvent[] = [];
    // A poll far longer than the test: only the release can tell the end.
    const stop = center.watchJobs((e) => seen.push(e), 600_000);
    try {
      const { id } = await center.backup();
      const plan = await center.restore(id, { confirm: () => false });
      assert.equal(plan.applied, false);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const ended = seen.filter((e) => e.type === 'ended').map((e) => e.job.kind);
      assert.deepEqual(ended, ['backup', 'restore']);
    } finally {
      stop();
    }
  });
});
