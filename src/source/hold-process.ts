// The child process that holds a live database still while the archive reads
// the file in place (holdSnapshot in snapshot.ts). A process of its own, not
// a worker thread: SQLite's locks are POSIX record locks, owned by the whole
// process, and closing any descriptor of the database file anywhere in the
// process drops them all. In Coffre's own process other work opens and
// closes that file (the archive reads it; a running server's requests read
// the database's facts), and the lock that keeps another program from
// checkpointing into the file (an app closing its last connection, an older
// SQLite leaving WAL mode) would be gone. Here nothing else opens the file.
//
// Messages: the request in; `{ ok, result }` (null: nothing held), then with
// `check`, `{ ok, check }`; 'release' in, and the process ends. It also ends,
// releasing, when Coffre's process goes away (the channel closes).

import type { ProfileReading } from '../core/profiles.js';
import { holdSnapshotHere, type HoldOptions } from './snapshot.js';
import { integrityOf } from './sqlite.js';

interface Request {
  source: string;
  reading?: ProfileReading;
  hold: HoldOptions;
}

// A send that fails (Coffre went away) is not an error here: the channel's
// end releases the hold.
const send = (msg: unknown): void => {
  if (process.connected) process.send?.(msg, undefined, {}, () => undefined);
};

process.once('message', (request: Request) => {
  try {
    const held = holdSnapshotHere(request.source, request.reading, request.hold);
    send({ ok: true, result: held?.result ?? null });
    if (!held) return;
    // Released, with the channel closed, nothing keeps this process alive.
    const end = () => {
      held.release();
      if (process.connected) process.disconnect();
    };
    process.once('message', end);
    process.once('disconnect', end);
    // The content check runs in the held transaction: the archived state.
    if (request.hold.check) send({ ok: true, check: { integrity: integrityOf(held.db) } });
  } catch (err) {
    send({
      ok: false,
      error: { message: (err as Error).message, code: (err as { code?: string }).code },
    });
  }
});
