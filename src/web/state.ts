// What the page keeps between requests, in memory: a one-time message per
// session after a form post (redirect-after-post), each session's restore
// wizard, a recovery key to show once, and the jobs the page started (their
// live progress, then their outcome). Nothing here is a rule: the rules are
// in BackupCenter; this is the page remembering what to show next.

import crypto from 'node:crypto';
import type { BackupOutcome, Flash, RestoreDraft } from './model.js';

/** A restore wizard with the key the user gave (kept here, never rendered). */
export interface Draft extends RestoreDraft {
  keys: { identities?: string[]; passphrase?: string | null };
  owner: string;
}

/** Forgotten after this long unused (a session's idle timeout is shorter). */
const KEEP_MS = 60 * 60_000;

export class PageState {
  private flashes = new Map<string, Flash>();
  private keys = new Map<string, { recipient: string; identity: string }>();
  private drafts = new Map<string, Draft & { touched: number }>();
  /** A job the page started and still runs (a second one would wait for the lock). */
  busy: string | null = null;
  lastBackup: BackupOutcome | null = null;
  /** The verification just run, shown once on the Maintenance tab. */
  private verified = new Map<
    string,
    { ref: string; ok: boolean; level: string; message: string }
  >();

  flash(session: string, flash: Flash): void {
    this.flashes.set(session, flash);
  }

  takeFlash(session: string): Flash | null {
    const f = this.flashes.get(session) ?? null;
    this.flashes.delete(session);
    return f;
  }

  giveKey(session: string, key: { recipient: string; identity: string }): void {
    this.keys.set(session, key);
  }

  /** The recovery key, once: a reload no longer shows it. */
  takeKey(session: string): { recipient: string; identity: string } | null {
    const k = this.keys.get(session) ?? null;
    this.keys.delete(session);
    return k;
  }

  setVerified(
    session: string,
    v: { ref: string; ok: boolean; level: string; message: string },
  ): void {
    this.verified.set(session, v);
  }

  takeVerified(
    session: string,
  ): { ref: string; ok: boolean; level: string; message: string } | null {
    const v = this.verified.get(session) ?? null;
    this.verified.delete(session);
    return v;
  }

  newDraft(owner: string, backup: Draft['backup']): Draft {
    this.sweep();
    for (const [id, d] of this.drafts) if (d.owner === owner) this.drafts.delete(id);
    const draft: Draft & { touched: number } = {
      id: crypto.randomBytes(9).toString('base64url'),
      step: 'sections',
      backup,
      hasKey: false,
      available: [],
      chosen: [],
      plan: null,
      result: null,
      error: null,
      keys: {},
      owner,
      touched: Date.now(),
    };
    this.drafts.set(draft.id, draft);
    return draft;
  }

  /** The session's wizard with this id (another session's is never given). */
  draft(owner: string, id?: string): Draft | null {
    this.sweep();
    if (id) {
      const d = this.drafts.get(id);
      if (!d || d.owner !== owner) return null;
      d.touched = Date.now();
      return d;
    }
    for (const d of this.drafts.values()) if (d.owner === owner) return d;
    return null;
  }

  dropDraft(id: string): void {
    this.drafts.delete(id);
  }

  /**
   * Forgets everything kept for a session (its wizard with the key given,
   * a recovery key not yet shown, messages): at sign-out, so that no key or
   * passphrase stays in memory longer than the session that gave it.
   */
  forget(session: string): void {
    this.flashes.delete(session);
    this.keys.delete(session);
    this.verified.delete(session);
    for (const [id, d] of this.drafts) if (d.owner === session) this.drafts.delete(id);
  }

  private sweep(): void {
    const old = Date.now() - KEEP_MS;
    for (const [id, d] of this.drafts) if (d.touched < old) this.drafts.delete(id);
  }
}
