// Coffre's journal records what the issue lists, read back from the journal
// itself: settings and key changes (encryption, alerts, schedule, retention,
// destinations added, changed and removed, restore hooks), deletions and
// prunes, fiscal exports and the override that removes an archive under the
// hold. No secret a setting may hold (a webhook's token, a command's
// password) reaches it.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackupCenter, DEFAULT_RETENTION } from '../../src/index.js';
import { removeDir, tempDir } from '../helpers.js';

let dir: string;
let home: string;
const clock = { now: new Date('2026-12-02T09:00:00Z') };

before(async () => {
  dir = tempDir('coffre-journal-');
  home = path.join(dir, 'home');
  await BackupCenter.createDemo(home, { profile: 'pos', images: 1, receipts: 60, days: 50 });
});
after(() => removeDir(dir));

describe("Coffre's journal", () => {
  it('records settings and key changes, deletions, prunes and fiscal exports', async () => {
    const center = await BackupCenter.open(home, { clock: () => clock.now });
    try {
      const usb = path.join(dir, 'usb');
      fs.mkdirSync(usb);
      const start = center.log().length;
      const key = await center.newEncryptionKey(path.join(dir, 'key.txt'));
      await center.setAlerts({
        webhook: 'https://hooks.example.net/services/T000/SECRET-TOKEN',
        command: 'notify --password hunter2',
      });
      await center.setSchedule({ backup: { every: 'day', at: '21:30' } });
      await center.setRetention({ daily: 2, weekly: 0 });
      await center.addDestination('usb', { kind: 'external', path: usb });
      await center.setRetention({ daily: 1 }, 'usb');
      await center.setRestoreHook('beforeRestore', 'systemctl stop caisse --token=abc');
      const manual = await center.backup({ to: ['local', 'usb'] });
      await center.deleteBackup(manual.id, { from: 'usb' });
      for (let i = 0; i < 4; i++) {
        clock.now = new Date(clock.now.getTime() + 86_400_000);
        await center.backup({ origin: 'automatic', applyRetention: false });
      }
      await center.prune({ confirm: () => true });
      const fiscal = await center.fiscalExport({ period: '2026-10', destinations: ['usb'] });
      await center.deleteFiscalArchive(fiscal.id, {
        from: 'usb',
        override: { reason: 'copied to the accountant, test' },
      });
      await center.removeDestination('usb');

      const entries = center.log().slice(start);
      const actions = entries.map((e) => e.action);
      for (const a of [
        'encryption-set',
        'alerts-set',
        'schedule-set',
        'retention-set',
        'destination-add',
        'hooks-set',
        'backup-delete',
        'prune',
        'fiscal-export',
        'fiscal-delete-override',
        'destination-remove',
      ]) {
        assert.ok(actions.includes(a), `${a} is in the journal: ${actions.join(', ')}`);
      }
      const of = (action: string) => entries.filter((e) => e.action === action);
      assert.deepEqual(of('encryption-set')[0].detail, {
        changes: [{ path: 'encryption.recipients', from: [], to: [key.recipient] }],
      });
      assert.deepEqual(of('retention-set')[1].detail, {
        changes: [
          {
            path: 'retentionByDestination.usb',
            to: { ...DEFAULT_RETENTION, daily: 1, weekly: 0, monthly: 0, yearly: 0 },
          },
        ],
      });
      assert.deepEqual((of('backup-delete')[0].detail as { destinations: string[] }).destinations, [
        'usb',
      ]);
      assert.equal((of('prune')[0].detail as { deleted: unknown[] }).deleted.length, 2);
      assert.equal(
        (of('fiscal-delete-override')[0].detail as { reason: string }).reason,
        'copied to the accountant, test',
      );
      assert.deepEqual(of('schedule-set')[0].detail, {
        changes: [{ path: 'schedule.backup', from: null, to: { every: 'day', at: '21:30' } }],
      });
      // What a setting may hide stays out.
      const text = fs.readFileSync(path.join(home, 'journal.jsonl'), 'utf8');
      for (const secret of ['SECRET-TOKEN', 'hunter2', 'token=abc', 'AGE-SECRET-KEY'])
        assert.ok(!text.includes(secret), `${secret} is not in the journal`);
      assert.deepEqual(of('alerts-set')[0].detail, {
        changes: [
          { path: 'alerts.command', from: null, to: 'set' },
          { path: 'alerts.webhook', from: null, to: 'https://hooks.example.net/…' },
        ],
      });
      assert.equal(center.verifyLog().ok, true);
    } finally {
      center.close();
    }
  });
  it('records a failed backup, and an undo apart from the restore it undoes', async () => {
    const other = path.join(dir, 'other');
    await BackupCenter.createDemo(other, { profile: 'pos', images: 1, receipts: 20 });
    const center = await BackupCenter.open(other, { clock: () => clock.now });
    try {
      const usb = path.join(dir, 'usb-unplugged');
      fs.mkdirSync(usb);
      await center.addDestination('usb2', { kind: 'external', path: usb });
      fs.rmSync(usb, { recursive: true });
      const start = center.log().length;
      await assert.rejects(center.backup({ to: ['usb2'] }), /usb2/);
      const made = await center.backup();
      await center.restore(made.id, { confirm: () => true });
      await center.undoLastRestore();
      const entries = center.log().slice(start);
      assert.deepEqual(
        entries.map((e) => e.action).filter((a) => a !== 'backup'),
        ['backup-failed', 'restore', 'undo'],
      );
      const failed = entries[0].detail as { code: string; destinations: string[] };
      assert.equal(failed.code, 'DESTINATION_UNAVAILABLE');
      assert.deepEqual(failed.destinations, ['usb2']);
      assert.equal(center.verifyLog().ok, true);
    } finally {
      center.close();
    }
  });
});
