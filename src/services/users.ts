// Coffre's own users: who may open the Backup center, with which of the
// register's two rights, and their sessions. Passwords are hashed with
// scrypt at OWASP's parameters; sessions live in the state database (only a
// hash of the id) so that removing a user or changing their password or
// rights ends them at once; failed sign-ins slow down the next attempt, per
// address and per user name, without ever locking anyone out for good.

import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { Clock } from '../core/clock.js';
import { CoffreError } from '../core/errors.js';
import {
  checkPassword,
  checkUserName,
  isUserName,
  loginDelayMs,
  parseRights,
  type Right,
} from '../core/rights.js';
import type { StateDb } from '../state/statedb.js';
import type { UserRow } from '../state/users.js';

const scrypt = promisify(crypto.scrypt) as (
  password: string | Buffer,
  salt: Buffer,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

/** OWASP's scrypt parameters: N=2^17, r=8, p=1; scrypt needs 128·N·r bytes. */
const SCRYPT = { logN: 17, r: 8, p: 1, keylen: 32 };

function scryptOptions(logN: number, r: number, p: number): crypto.ScryptOptions {
  const N = 2 ** logN;
  return { N, r, p, maxmem: 128 * N * r * p + 32 * 1024 * 1024 };
}

export interface UserInfo {
  name: string;
  rights: Right[];
  createdAt: string;
  changedAt: string;
}

export interface Session {
  user: string;
  rights: Right[];
  /** The token a state-changing request must send back (header x-csrf-token or field _csrf). */
  csrf: string;
  createdAt: string;
  /** When the session ends if nothing else happens: the idle or the absolute timeout, whichever is first. */
  expiresAt: string;
}

export interface SignedIn extends Session {
  /** The session id for the cookie: shown once, only its hash is stored. */
  id: string;
}

export interface UsersOptions {
  /** A session unused this long ends (default 30 minutes). */
  idleMinutes?: number;
  /** A session ends this long after sign-in, used or not (default 12 hours). */
  absoluteHours?: number;
}

type Log = (action: string, detail: Record<string, unknown>, actor?: string) => void;

const FORGET_FAILURES_MS = 24 * 3600 * 1000;
/** The longest a user name is held after failures, wherever they came from. */
const USER_WAIT_MAX_MS = 60_000;
/** Password hashes computed at once, and sign-ins allowed to wait for one. */
const PASSWORD_CHECKS_AT_ONCE = 2;
const PASSWORD_CHECKS_QUEUED = 16;

export class UsersService {
  readonly idleMs: number;
  readonly absoluteMs: number;
  /** A hash to compare against when the user name is unknown, so both cases take as long. */
  private dummyHash: Promise<string> | null = null;
  /** Password checks running, and those waiting for a turn. */
  private checking = 0;
  private readonly queued: Array<() => void> = [];

  constructor(
    private readonly db: () => StateDb,
    private readonly clock: Clock,
    private readonly log: Log,
    options: UsersOptions = {},
  ) {
    this.idleMs = (options.idleMinutes ?? 30) * 60_000;
    this.absoluteMs = (options.absoluteHours ?? 12) * 3600_000;
  }

  private get store() {
    return this.db().users;
  }

  /** Every user with their rights, by name. */
  list(): UserInfo[] {
    return this.store.list().map(info);
  }

  get(name: string): UserInfo | null {
    const row = this.store.get(name);
    return row ? info(row) : null;
  }

  /** Adds a user; the name must be new. */
  async add(name: string, password: string, rights: readonly string[] = []): Promise<UserInfo> {
    checkUserName(name);
    checkPassword(password);
    const parsed = parseRights(rights);
    const at = this.clock().toISOString();
    const row: UserRow = {
      name,
      password: await hashPassword(password),
      rights: parsed,
      createdAt: at,
      changedAt: at,
    };
    if (!this.store.insert(row)) {
      throw new CoffreError('USAGE', `A user named "${name}" already exists.`, {
        details: { user: name },
      });
    }
    this.log('user-added', { user: name, rights: parsed });
    return info(row);
  }

  /** Removes a user; their sessions end at once. */
  remove(name: string): void {
    if (!this.store.delete(name)) throw unknownUser(name);
    this.log('user-removed', { user: name });
  }

  /** Sets a new password; every session of the user ends. */
  async setPassword(name: string, password: string): Promise<void> {
    checkPassword(password);
    if (!this.store.get(name)) throw unknownUser(name);
    const hash = await hashPassword(password);
    if (!this.store.update(name, { password: hash }, this.clock().toISOString()))
      throw unknownUser(name);
    this.log('user-changed', { user: name, changed: 'password' });
  }

  /** Sets a user's rights; every session of the user ends. */
  setRights(name: string, rights: readonly string[]): UserInfo {
    const parsed = parseRights(rights);
    if (!this.store.update(name, { rights: parsed }, this.clock().toISOString()))
      throw unknownUser(name);
    this.log('user-changed', { user: name, changed: 'rights', rights: parsed });
    return info(this.store.get(name)!);
  }

  /**
   * Signs a user in: checks the password and opens a new session (a new id
   * every time). A wrong name and a wrong password give the same error;
   * after a few failures, from the same address or for the same name, the
   * next attempt must wait, twice as long each time.
   */
  async login(name: string, password: string, address: string): Promise<SignedIn> {
    const now = this.clock();
    // A name no user can have is never stored, counted or journalled as given:
    // anyone may send one, of any length or with any characters.
    const valid = isUserName(name);
    const keys = valid ? [`addr:${address}`, `user:${name.toLowerCase()}`] : [`addr:${address}`];
    this.holdBack(keys, now, 'Too many failed sign-ins');
    // The attempt counts as failed before its password is checked, and a
    // success clears it: attempts sent side by side cannot all slip in under
    // the limit while the first ones are still hashing.
    for (const k of keys) this.failed(k, now);
    const row = valid ? this.store.get(name) : undefined;
    const ok = await this.passwordCheck(async () =>
      verifyPassword(password, row?.password ?? (await this.dummy())),
    );
    if (!row || !ok) {
      if (valid) this.log('login-failed', { user: name, address }, name);
      else this.log('login-failed', { invalidName: name.length, address }, 'anonymous');
      throw wrongCredentials();
    }
    for (const k of keys) this.store.clearFailures(k);
    this.log('login', { user: row.name, address }, row.name);
    return this.openSession(row, now);
  }

  /**
   * Checks a signed-in user's password again (before a restore). A wrong
   * one counts as a failed sign-in for the throttling.
   */
  async confirmPassword(name: string, password: string, address: string): Promise<void> {
    const now = this.clock();
    const key = `user:${name.toLowerCase()}`;
    this.holdBack([key], now, 'Too many wrong passwords');
    this.failed(key, now);
    const row = this.store.get(name);
    if (!row || !(await this.passwordCheck(() => verifyPassword(password, row.password)))) {
      this.log('login-failed', { user: name, address, confirm: true }, name);
      throw new CoffreError('AUTH_REQUIRED', 'The password is wrong.', {
        details: { confirm: true },
      });
    }
    this.store.clearFailures(key);
  }

  /** The session behind a cookie's id, or null if it is unknown or expired; using it keeps it alive. */
  session(id: string | null | undefined, options: { touch?: boolean } = {}): Session | null {
    if (!id) return null;
    const hash = sessionHash(id);
    const row = this.store.session(hash);
    if (!row) return null;
    const now = this.clock();
    const expiresAt = this.expiry(row.createdAt, now.toISOString());
    if (
      now.getTime() - Date.parse(row.lastSeen) >= this.idleMs ||
      now.getTime() - Date.parse(row.createdAt) >= this.absoluteMs
    ) {
      this.store.deleteSession(hash);
      return null;
    }
    const user = this.store.get(row.user);
    if (!user) {
      this.store.deleteSession(hash);
      return null;
    }
    // A look that is not the user's doing (a live feed checking it is still
    // signed in) does not keep the session alive.
    if (options.touch !== false) this.store.touchSession(hash, now.toISOString());
    return {
      user: user.name,
      rights: parseRights(user.rights),
      csrf: row.csrf,
      createdAt: row.createdAt,
      expiresAt,
    };
  }

  /** Ends one session (sign out). */
  logout(id: string): void {
    this.store.deleteSession(sessionHash(id));
  }

  /** How many live sessions a user has (for `user list` and tests). */
  sessionCount(name: string): number {
    return this.store.sessionCount(name);
  }

  private openSession(row: UserRow, now: Date): SignedIn {
    const at = now.toISOString();
    this.store.deleteExpiredSessions(
      new Date(now.getTime() - this.idleMs).toISOString(),
      new Date(now.getTime() - this.absoluteMs).toISOString(),
    );
    const id = crypto.randomBytes(32).toString('base64url');
    const csrf = crypto.randomBytes(32).toString('base64url');
    this.store.insertSession({
      idHash: sessionHash(id),
      user: row.name,
      csrf,
      createdAt: at,
      lastSeen: at,
    });
    return {
      id,
      user: row.name,
      rights: parseRights(row.rights),
      csrf,
      createdAt: at,
      expiresAt: this.expiry(at, at),
    };
  }

  private expiry(createdAt: string, lastSeen: string): string {
    return new Date(
      Math.min(Date.parse(lastSeen) + this.idleMs, Date.parse(createdAt) + this.absoluteMs),
    ).toISOString();
  }

  /** Refuses the attempt while any of the keys must still wait after earlier failures. */
  private holdBack(keys: string[], now: Date, why: string): void {
    const wait = Math.max(...keys.map((k) => this.waitMs(k, now)));
    if (wait <= 0) return;
    const seconds = Math.ceil(wait / 1000);
    throw new CoffreError(
      'AUTH_REQUIRED',
      `${why}: wait ${seconds} second${seconds === 1 ? '' : 's'} and try again.`,
      { details: { retryAfterSeconds: seconds } },
    );
  }

  /**
   * Runs a password hash with at most PASSWORD_CHECKS_AT_ONCE of them at a
   * time (each takes 128 MiB and a core for a fraction of a second) and a
   * short queue; beyond it the attempt is refused, so a flood of sign-ins
   * from many addresses cannot exhaust the register's memory.
   */
  private async passwordCheck<T>(check: () => Promise<T>): Promise<T> {
    if (this.checking >= PASSWORD_CHECKS_AT_ONCE) {
      if (this.queued.length >= PASSWORD_CHECKS_QUEUED) {
        throw new CoffreError(
          'AUTH_REQUIRED',
          'Too many sign-ins at once: wait a few seconds and try again.',
          { details: { retryAfterSeconds: 5 } },
        );
      }
      // The slot is handed over by the check that ends.
      await new Promise<void>((resolve) => this.queued.push(resolve));
    } else {
      this.checking++;
    }
    try {
      return await check();
    } finally {
      const next = this.queued.shift();
      if (next) next();
      else this.checking--;
    }
  }

  private waitMs(key: string, now: Date): number {
    const f = this.store.failures(key);
    if (!f) return 0;
    const since = now.getTime() - Date.parse(f.lastAt);
    if (since >= FORGET_FAILURES_MS) return 0;
    // A user name's wait stays short: anyone may fail in that name, and a
    // growing wait would keep its owner out for as long as they keep at it.
    // An address's wait grows (15 min at most).
    const delay = loginDelayMs(f.count);
    return Math.max(
      0,
      (key.startsWith('user:') ? Math.min(delay, USER_WAIT_MAX_MS) : delay) - since,
    );
  }

  private failed(key: string, now: Date): void {
    const f = this.store.failures(key);
    const fresh = f && now.getTime() - Date.parse(f.lastAt) < FORGET_FAILURES_MS;
    this.store.setFailures(key, (fresh ? f.count : 0) + 1, now.toISOString());
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex'));
    return this.dummyHash;
  }
}

function info(row: UserRow): UserInfo {
  return {
    name: row.name,
    rights: parseRights(row.rights),
    createdAt: row.createdAt,
    changedAt: row.changedAt,
  };
}

function unknownUser(name: string): CoffreError {
  return new CoffreError('USAGE', `There is no user named "${name}".`, {
    details: { user: name, unknownUser: true },
  });
}

function wrongCredentials(): CoffreError {
  return new CoffreError('AUTH_REQUIRED', 'The user name or the password is wrong.', {
    details: { login: true },
  });
}

function sessionHash(id: string): string {
  return crypto.createHash('sha256').update(id).digest('hex');
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const { logN, r, p, keylen } = SCRYPT;
  const hash = await scrypt(password.normalize('NFC'), salt, keylen, scryptOptions(logN, r, p));
  return ['scrypt', logN, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [logN, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  const actual = await scrypt(
    password.normalize('NFC'),
    salt,
    expected.length,
    scryptOptions(logN, r, p),
  );
  return crypto.timingSafeEqual(actual, expected);
}
