// Issue 10 item 19: every command the CLI offers takes --json (scripts that
// look after several registers read it), found by walking `coffre help`; and
// `start --json` prints one JSON object.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { coffre, coffreAsync, removeDir, tempDir } from '../helpers.js';

/** The command names a help text lists under "Commands:". */
function commandsIn(help: string): string[] {
  const section = help.split(/^Commands:\n/m)[1] ?? '';
  return section
    .split('\n')
    .map((line) => /^ {2}([a-z][a-z-]*)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');
}

describe('--json on every command (issue 10 item 19)', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('is offered by every command and subcommand that `coffre help` lists', async () => {
    const missing: string[] = [];
    const leaves: string[] = [];
    const walk = async (words: string[]): Promise<void> => {
      assert.ok(words.length < 4, `help recursion at ${words.join(' ')}`);
      const r = await coffreAsync(words.length === 0 ? ['help'] : [...words, '--help']);
      assert.equal(r.status, 0, r.stderr);
      const sub = commandsIn(r.stdout);
      if (sub.length > 0) {
        await Promise.all(sub.map((s) => walk([...words, s])));
        return;
      }
      leaves.push(words.join(' '));
      if (!/^\s+--json\b/m.test(r.stdout)) missing.push(words.join(' '));
    };
    await walk([]);
    assert.ok(leaves.length > 20, `only ${leaves.length} commands found: ${leaves.join(', ')}`);
    assert.deepEqual(missing.sort(), []);
  });

  it('start --json prints the demo it made, the backup and the status as one object', () => {
    const home = path.join(dir, 'start-home');
    const r = coffre(['start', '--home', home, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = r.json();
    assert.equal(out.demo.profile, 'pos');
    assert.match(out.backup.id, /_/);
    assert.equal(out.status.lastBackup.id, out.backup.id);
  });
  it('prints JSON from the commands that printed only words: alerts, retention, encryption, destination, guard', () => {
    const home = path.join(dir, 'start-home');
    const run = (...args: string[]) => coffre([...args, '--home', home, '--json']);
    // With no option, `alerts` shows the settings instead of claiming an update.
    const alerts = run('alerts');
    assert.equal(alerts.status, 0, alerts.stderr);
    assert.deepEqual(alerts.json(), {
      staleAfterHours: null,
      command: null,
      webhook: null,
      effectiveStaleAfterHours: 26,
    });
    const ftp = run('alerts', '--webhook', 'ftp://x');
    assert.equal(ftp.status, 2);
    assert.equal(ftp.json().error.code, 'USAGE');
    assert.match(ftp.json().error.message, /https:\/\//);
    assert.equal(run('alerts').json().webhook, null, 'the refused webhook is not kept');
    const retention = run('retention', 'set', '--daily', '9');
    assert.equal(retention.json().policy.daily, 9);
    assert.deepEqual(run('encryption', 'set', '--none').json().recipients, []);
    const usb = path.join(dir, 'usb');
    assert.equal(run('destination', 'add', 'usb', 'external', '--path', usb).json().name, 'usb');
    assert.deepEqual(run('destination', 'remove', 'usb').json(), { removed: 'usb' });
    const guard = coffre(['guard', '--home', home, '--json', '--', 'true']);
    assert.equal(guard.status, 0, guard.stderr);
    assert.equal(guard.json().exitCode, 0);
    assert.match(guard.json().backupId, /_/);
  });
});
