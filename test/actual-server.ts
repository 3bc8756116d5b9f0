// Starts Actual Budget's real sync server (@actual-app/sync-server, a dev
// dependency) on 127.0.0.1 for a test file: its own process, a free port, a
// fresh data folder, and a password set through the server's first-run
// HTTP call (POST /account/bootstrap), as its web page does on a new install.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { removeDir, tempDir } from './helpers.js';

export interface SyncServer {
  url: string;
  password: string;
  stop(): Promise<void>;
}

/** The server's start script, or why it cannot be found. */
export function findSyncServer(): { bin: string } | { error: string } {
  let file: string;
  try {
    file = createRequire(import.meta.url).resolve('@actual-app/sync-server/package.json');
  } catch {
    return { error: '@actual-app/sync-server is not installed (a dev dependency: npm install)' };
  }
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { bin?: Record<string, string> };
  const bin = pkg.bin?.['actual-server'];
  if (!bin) return { error: `@actual-app/sync-server (${file}) names no actual-server script` };
  return { bin: path.join(path.dirname(file), bin) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function startSyncServer(found: { bin: string }): Promise<SyncServer> {
  const dir = tempDir('coffre-actual-server-');
  const port = await freePort();
  const child = spawn(process.execPath, [found.bin], {
    // It reads ./config.json when there is one: the empty data folder has none.
    cwd: dir,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      ACTUAL_HOSTNAME: '127.0.0.1',
      ACTUAL_PORT: String(port),
      ACTUAL_DATA_DIR: dir,
      ACTUAL_SERVER_FILES: path.join(dir, 'server-files'),
      ACTUAL_USER_FILES: path.join(dir, 'user-files'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  // It logs every request: keep the end of it for an error message.
  let log = '';
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-4000));
  child.stderr.on('data', keep);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    removeDir(dir);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('not listening after 60 s')), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        keep(d);
        if (log.includes(`Listening on 127.0.0.1:${port}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(([code, signal]) => {
        clearTimeout(timer);
        reject(new Error(`exited (${String(code ?? signal)}) before listening`));
      });
    });
    const url = `http://127.0.0.1:${port}`;
    const password = randomBytes(12).toString('hex');
    const res = await fetch(`${url}/account/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password }),
    });
    const body = (await res.json()) as { status?: string };
    if (body.status !== 'ok') throw new Error(`bootstrap: ${JSON.stringify(body)}`);
    return { url, password, stop };
  } catch (err) {
    await stop();
    throw new Error(`The Actual sync server (${found.bin}): ${(err as Error).message}\n${log}`, {
      cause: err,
    });
  }
}
