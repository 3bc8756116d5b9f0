// Coffre's journal file: an entry longer than the tail the next append reads
// back is still chained to, and a torn last line is skipped, not chained to.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { EventJournal } from '../../src/state/journal.js';
import { removeDir, tempDir } from '../helpers.js';

describe('the journal file', () => {
  const dir = tempDir();
  after(() => removeDir(dir));
  const clock = () => new Date('2026-12-02T09:00:00Z');

  it('chains an entry to one longer than the tail it reads back', () => {
    const journal = new EventJournal(path.join(dir, 'long.jsonl'), clock);
    journal.append('alice', 'first', {});
    journal.append('alice', 'big', { pad: 'y'.repeat(300_000) });
    const next = journal.append('alice', 'after', {});
    assert.equal(next.seq, 3);
    assert.equal(journal.verify().ok, true);
  });

  it('skips a torn last line and chains to the last whole one', () => {
    const file = path.join(dir, 'torn.jsonl');
    const journal = new EventJournal(file, clock);
    journal.append('alice', 'first', {});
    fs.appendFileSync(file, '{"seq":2,"at":"2026-12-02T09:00:00Z","act');
    const next = journal.append('alice', 'after', {});
    assert.equal(next.seq, 2);
    assert.deepEqual(journal.verify().unreadable.length, 1);
  });
});
