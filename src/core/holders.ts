// Who holds the app's database: the pure part. Parsing the kernel's list of
// file locks (Linux /proc/locks), and the words that name a holder. The
// finding itself (open files, locks, an SQLite lock probe) is in
// source/holders.ts.

/** A program that has the app's database (or its -wal, -journal, -shm) open or locked. */
export interface DatabaseHolder {
  /** Its process id; null when only SQLite's locks tell that some connection exists. */
  pid: number | null;
  /** Its command line (or name), when the system shows it. */
  command: string | null;
  /** This very process: a host app that embeds Coffre and still has the database open. */
  self: boolean;
  /** Which of the database's files it holds (base names). */
  files: string[];
  /** How it was seen: an open file, a file lock (the kernel's list), an SQLite lock that would not yield. */
  seenBy: ('open-file' | 'file-lock' | 'sqlite-lock')[];
}

/** One POSIX or flock lock from /proc/locks. */
export interface KernelLock {
  pid: number;
  major: number;
  minor: number;
  inode: number;
}

/**
 * Parses /proc/locks ("1: POSIX  ADVISORY  READ 1234 fd:01:5678 128 128").
 * Lines it does not understand, and locks whose owner the kernel does not
 * show (OFD locks: pid -1), are skipped. Blocked requests ("->") are waiters,
 * not holders.
 */
export function parseProcLocks(text: string): KernelLock[] {
  const locks: KernelLock[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid <= 0) continue;
    locks.push({
      pid,
      major: parseInt(m[3], 16),
      minor: parseInt(m[4], 16),
      inode: Number(m[5]),
    });
  }
  return locks;
}

/** Merges holders seen several ways into one per process; holders without a pid stay apart. */
export function mergeHolders(holders: DatabaseHolder[]): DatabaseHolder[] {
  const byPid = new Map<number, DatabaseHolder>();
  const out: DatabaseHolder[] = [];
  for (const h of holders) {
    if (h.pid === null) {
      out.push(h);
      continue;
    }
    const seen = byPid.get(h.pid);
    if (!seen) {
      const copy = { ...h, files: [...h.files], seenBy: [...h.seenBy] };
      byPid.set(h.pid, copy);
      out.push(copy);
      continue;
    }
    seen.command ??= h.command;
    for (const f of h.files) if (!seen.files.includes(f)) seen.files.push(f);
    for (const s of h.seenBy) if (!seen.seenBy.includes(s)) seen.seenBy.push(s);
  }
  return out;
}

/** "process 1234 (node /opt/app/server.js)", or what is known of a holder. */
export function describeHolder(h: DatabaseHolder): string {
  if (h.self) return `this process (${h.pid}: the program that runs Coffre still has it open)`;
  if (h.pid === null) {
    return 'a connection that SQLite reports but no visible process owns (another user, another container or machine, or a system that does not list open files)';
  }
  const command = h.command
    ? ` (${h.command.length > 120 ? `${h.command.slice(0, 117)}...` : h.command})`
    : '';
  return `process ${h.pid}${command}`;
}

/** Names up to three holders, and how many more there are. */
export function describeHolders(holders: DatabaseHolder[]): string {
  const named = holders.slice(0, 3).map(describeHolder);
  const more = holders.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${more} more` : named.join(', ');
}
