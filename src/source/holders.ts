// Whether another program has the app's database open: before a restore
// replaces it in place, the app must be stopped. Three looks, from the most
// telling to the most portable:
//
// 1. Open files (Linux): every process's /proc/PID/fd links, compared by
//    device and inode with the database and its -wal, -journal and -shm. An
//    idle app in rollback-journal mode holds no lock at all, only its open
//    file, so this is the only way to see it. Processes of other users are
//    not readable unless Coffre runs as root; the next two looks still see
//    their connections.
// 2. File locks (Linux): /proc/locks lists every POSIX lock with its owner's
//    pid, whoever the owner is. An SQLite connection in WAL mode holds a
//    read lock on the database file and on the -shm's "DMS" byte for as long
//    as it is open; in rollback-journal mode, a lock shows a transaction.
// 3. An SQLite lock probe (every system): a new connection with
//    locking_mode EXCLUSIVE and no busy wait tries BEGIN EXCLUSIVE, then
//    rolls back and closes. Any other connection in WAL mode (its shared
//    lock on the database file), and any transaction in rollback mode, makes
//    it fail at once with SQLITE_BUSY. SQLite also counts the connections of
//    this same process, so a host app that embeds Coffre and forgot to close
//    its database is found too. Run only when the first two found nothing,
//    so that a running app is never even briefly locked out by the probe.
//
// Coffre's own process is skipped in looks 1 and 2; at the time of the check
// Coffre holds no connection to the live database.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import {
  mergeHolders,
  parseProcLocks,
  type DatabaseHolder,
  type KernelLock,
} from '../core/holders.js';
import { applyKey } from './sqlite.js';

const SIDE_FILES = ['', '-wal', '-journal', '-shm'];

interface Target {
  name: string;
  dev: number;
  ino: number;
}

/** The database's files that exist now, with their device and inode. */
function targets(file: string): Target[] {
  const out: Target[] = [];
  for (const suffix of SIDE_FILES) {
    try {
      const st = fs.statSync(file + suffix);
      out.push({ name: path.basename(file + suffix), dev: st.dev, ino: st.ino });
    } catch {
      // Not there: nobody holds it.
    }
  }
  return out;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** A process's command line, or its name, as the system shows it. */
function commandOf(pid: number): string | null {
  const cmdline = readText(`/proc/${pid}/cmdline`);
  const args = cmdline?.split('\0').filter(Boolean) ?? [];
  if (args.length > 0) return args.join(' ');
  return readText(`/proc/${pid}/comm`)?.trim() || null;
}

function pids(): number[] {
  try {
    return fs
      .readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Look 1: processes with one of the files open, this one included (marked
 * self). Null when the system has no /proc.
 */
function openFileHolders(files: Target[], only?: number): DatabaseHolder[] | null {
  if (!fs.existsSync('/proc/self/fd')) return null;
  const holders: DatabaseHolder[] = [];
  // The base name the kernel shows starts with the database's; only those are stat'ed.
  const prefix = files[0].name;
  for (const pid of only === undefined ? pids() : [only]) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // another user's process, or it just ended
    }
    const held = new Set<string>();
    for (const fd of fds) {
      const link = `/proc/${pid}/fd/${fd}`;
      let target: string;
      try {
        target = fs.readlinkSync(link);
      } catch {
        continue;
      }
      if (!target.startsWith('/') || !path.basename(target).startsWith(prefix)) continue;
      try {
        const st = fs.statSync(link);
        const hit = files.find((f) => f.ino === st.ino && f.dev === st.dev);
        if (hit) held.add(hit.name);
      } catch {
        // closed meanwhile
      }
    }
    if (held.size > 0) {
      holders.push({
        pid,
        command: pid === process.pid ? null : commandOf(pid),
        self: pid === process.pid,
        files: [...held],
        seenBy: ['open-file'],
      });
    }
  }
  return holders;
}

const major = (dev: number) => Math.floor(dev / 256) & 0xfff;
const minor = (dev: number) => (dev & 0xff) | (Math.floor(dev / 4096) & 0xfff00);

/** Whether a kernel lock is on one of the files (inode, and device unless it is an anonymous one). */
function lockOn(lock: KernelLock, f: Target): boolean {
  if (lock.inode !== f.ino) return false;
  // Overlay and btrfs show an anonymous device (major 0) in stat, not the lock's.
  return major(f.dev) === 0 || (lock.major === major(f.dev) && lock.minor === minor(f.dev));
}

/** Look 2: processes holding a lock on one of the files, this one included (marked self). */
function lockHolders(files: Target[]): DatabaseHolder[] | null {
  const text = readText('/proc/locks');
  if (text === null) return null;
  const held = new Map<number, Set<string>>();
  for (const lock of parseProcLocks(text)) {
    const hit = files.find((f) => lockOn(lock, f));
    if (!hit) continue;
    const set = held.get(lock.pid) ?? new Set<string>();
    set.add(hit.name);
    held.set(lock.pid, set);
  }
  return [...held].map(([pid, names]) => ({
    pid,
    command: pid === process.pid ? null : commandOf(pid),
    self: pid === process.pid,
    files: [...names],
    seenBy: ['file-lock'],
  }));
}

/**
 * Look 3: whether some connection keeps SQLite from taking an exclusive lock,
 * tried a few times over about half a second so that a short transaction
 * (someone reading the status) is not taken for a running app.
 */
export async function sqliteLockBusy(file: string, key: string | null): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 100));
    let db: Database.Database | null = null;
    try {
      db = new Database(file, { fileMustExist: true });
      if (key) applyKey(db, key);
      db.pragma('busy_timeout = 0');
      // Before the first read: a WAL database is then opened with an
      // exclusive lock on the file (and its index kept in memory).
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.exec('ROLLBACK');
      return false;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!code.startsWith('SQLITE_BUSY') && !code.startsWith('SQLITE_LOCKED')) return false;
    } finally {
      db?.close();
    }
  }
  return true;
}

export interface HolderSearch {
  holders: DatabaseHolder[];
  /** Which looks this system allowed: the open files and the lock list need Linux's /proc. */
  looks: ('open-file' | 'file-lock' | 'sqlite-lock')[];
}

/**
 * Who else has the database open: processes (with their pid and command)
 * and, when no process is visible, connections that SQLite's locks reveal.
 * Coffre's own process does not count; a connection of this process that is
 * not Coffre's (a host app's) does, marked `self`.
 */
export async function findDatabaseHolders(file: string, key: string | null): Promise<HolderSearch> {
  const files = targets(file);
  if (files.length === 0 || files[0].name !== path.basename(file))
    return { holders: [], looks: [] };
  const looks: HolderSearch['looks'] = [];
  const open = openFileHolders(files);
  if (open) looks.push('open-file');
  const locked = lockHolders(files);
  if (locked) looks.push('file-lock');
  const others = mergeHolders([...(open ?? []), ...(locked ?? [])].filter((h) => !h.self));
  if (others.length > 0) return { holders: others, looks };
  // Coffre holds no connection to the live database now: a file this
  // process has open is a host app's, unless it is gone in half a second
  // (a status read in a server that embeds Coffre).
  let own = open?.find((h) => h.self);
  for (let attempt = 0; own && attempt < 5; attempt++) {
    await new Promise((r) => setTimeout(r, 100));
    own = openFileHolders(files, process.pid)?.[0];
  }
  if (own) return { holders: [own], looks };
  looks.push('sqlite-lock');
  if (!(await sqliteLockBusy(file, key))) return { holders: [], looks };
  // Busy, and no other process seen: this process's own lock (a host app), or one out of sight.
  const self = locked?.find((h) => h.self);
  return {
    holders: [
      self
        ? { ...self, seenBy: ['file-lock', 'sqlite-lock'] }
        : { pid: null, command: null, self: false, files: [], seenBy: ['sqlite-lock'] },
    ],
    looks,
  };
}
