// Coffre's own event journal as the center keeps it: who acts (the host sets
// it for a signed-in user; else the system user), and the backups and
// restores written to it as they happen. A journal that cannot be written
// never turns a good backup or restore into a failure.

import os from 'node:os';
import type { JournalEntry } from '../core/journal.js';
import { EventJournal } from '../state/journal.js';
import type { JobRunner } from './jobs.js';

export class JournalService {
  /** Who acts, for the journal. */
  actor: string = systemUser();

  constructor(
    private readonly journal: EventJournal,
    events: JobRunner['events'],
  ) {
    const append = (action: string, detail: Record<string, unknown>) => {
      try {
        this.append(action, detail);
      } catch {
        // The journal must never turn a good backup or restore into a failure.
      }
    };
    events.on('backup', (e) => append('backup', { ...e }));
    events.on('restore', (e) => {
      if (e.phase === 'applied')
        append('restore', { backupId: e.backupId, safetyBackupId: e.safetyBackupId });
      if (e.phase === 'failed') append('restore-failed', { backupId: e.backupId, code: e.code });
    });
  }

  append(action: string, detail: Record<string, unknown>, actor = this.actor): JournalEntry {
    return this.journal.append(actor, action, detail);
  }

  read(): JournalEntry[] {
    return this.journal.read().entries;
  }

  verify(): ReturnType<EventJournal['verify']> {
    return this.journal.verify();
  }
}

/** The system user running Coffre; "unknown" where the system has no name for it. */
function systemUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
