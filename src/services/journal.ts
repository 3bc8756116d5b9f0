// Coffre's own event journal as the center keeps it: who acts (the host sets
// it for a signed-in user; else the system user), and the backups and
// restores written to it as they happen. A journal that cannot be written
// never turns a good backup or restore into a failure.

import { AsyncLocalStorage } from 'node:async_hooks';
import os from 'node:os';
import { settingChanges, type JournalEntry, type Shown } from '../core/journal.js';
import type { Config } from '../state/config.js';
import { EventJournal } from '../state/journal.js';
import type { JobRunner } from './jobs.js';

export class JournalService {
  /** Who acts when no one is named for the work under way: the system user, or whom the host set. */
  private fallback: string = systemUser();
  /** Who acts for the work under way (a request of a signed-in user, and what it started). */
  private readonly acting = new AsyncLocalStorage<string>();

  /** Who acts, for the journal. */
  get actor(): string {
    return this.acting.getStore() ?? this.fallback;
  }

  set actor(name: string) {
    this.fallback = name;
  }

  /** Runs `work` (and everything it starts) with `name` as the actor. */
  actingAs<T>(name: string, work: () => T): T {
    return this.acting.run(name, work);
  }

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
      const what = e.phase !== 'planned' && e.undo ? 'undo' : 'restore';
      if (e.phase === 'applied')
        append(what, {
          backupId: e.backupId,
          safetyBackupId: e.safetyBackupId,
          fiscalArchive: e.fiscalArchive,
        });
      if (e.phase === 'failed') append(`${what}-failed`, { backupId: e.backupId, code: e.code });
    });
  }

  /**
   * A settings change (encryption, alerts, schedule, retention, destinations,
   * hooks): what changed, with commands, hooks and web addresses reduced to
   * what is safe to keep (no secret ever reaches the journal).
   */
  settingsChanged(action: string, before: Config, after: Config): void {
    const changes = settingChanges(before, after, shownAs, ['schedule.since']);
    if (changes.length === 0) return;
    try {
      this.append(action, { changes });
    } catch {
      // The journal must never turn a saved change into a failure.
    }
  }

  /** Appends, never failing the operation it records. */
  /** Appends, never throwing: a journal that cannot be written fails no job, sign-in or user change. */
  record(action: string, detail: Record<string, unknown>, actor = this.actor): void {
    try {
      this.append(action, detail, actor);
    } catch {
      // As above.
    }
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

/** Commands and hooks may hold a password, a webhook's path a token: only their presence or origin. */
function shownAs(path: string): Shown {
  if (path === 'alerts.webhook') return 'origin';
  if (path === 'alerts.command' || path.startsWith('hooks.')) return 'presence';
  return 'value';
}
