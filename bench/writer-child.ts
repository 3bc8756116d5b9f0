// The app's writer for the writer bench: one small commit every few
// milliseconds, each timed (lock wait + commit), until SIGTERM; then prints
// the commits as JSON lines [start ms since the epoch, latency ms].
// Usage: node writer-child.js DB_FILE
//
// Also the snapshot as Coffre took it before issue 11, for comparison: the
// online backup API in one step (page by page through SQLite, under the
// read lock for the whole copy). `sqlite3 .backup` copies 100 pages a step
// and restarts after every commit of another process: under this writer it
// never ends.
// Usage: node writer-child.js --backup-api SOURCE TARGET

import Database from 'better-sqlite3-multiple-ciphers';

if (process.argv[2] === '--backup-api') {
  const source = new Database(process.argv[3]);
  source.pragma('busy_timeout = 60000');
  await source.backup(process.argv[4], { progress: () => 1 << 30 });
  source.close();
  process.exit(0);
}

const db = new Database(process.argv[2]);
// As a patient app would: wait for locks rather than fail.
db.pragma('busy_timeout = 60000');
const insert = db.prepare('INSERT INTO commits(at, note) VALUES (?, ?)');
const commits: [number, number][] = [];
let stop = false;
process.on('SIGTERM', () => {
  stop = true;
});
const tick = (): void => {
  if (stop) {
    db.close();
    process.stdout.write(JSON.stringify(commits) + '\n');
    return;
  }
  const at = Date.now();
  const t = performance.now();
  insert.run(at, `commit ${commits.length}`);
  commits.push([at, performance.now() - t]);
  setTimeout(tick, 5);
};
process.stdout.write('ready\n');
tick();
