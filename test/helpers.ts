// Shared test helpers: temporary folders, running the real `coffre` CLI, and
// a demo home made once per test file.

import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/src/cli/main.js');

export function tempDir(prefix = 'coffre-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  json: () => any;
}

function toResult(r: SpawnSyncReturns<string>): CliResult {
  return {
    status: r.status ?? -1,
    stdout: r.stdout,
    stderr: r.stderr,
    json: () => JSON.parse(r.stdout),
  };
}

/** Runs the built CLI synchronously. */
export function coffre(args: string[], env: Record<string, string> = {}): CliResult {
  return toResult(
    spawnSync(process.execPath, [CLI, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      maxBuffer: 64 << 20,
    }),
  );
}

/** Runs the built CLI without blocking the event loop. */
export function coffreAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) =>
      resolve({ status: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) }),
    );
  });
}

/** Runs an external program and returns its stdout; throws with its stderr on failure. */
export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; input?: Buffer | string } = {},
): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 << 20, ...options });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * Checks an unpacked archive with standard tools only, as FORMAT.md says:
 * every entry's hash (sha256sum) and the signature of the list (openssl).
 */
export function checkUnpackedByHand(dir: string): void {
  const check = run('sha256sum', ['-c', 'coffre/SHA256SUMS'], { cwd: dir });
  if (/FAILED/.test(check)) throw new Error(`sha256sum -c failed in ${dir}:\n${check}`);
  run(
    'openssl',
    [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      'coffre/register.pub.pem',
      '-rawin',
      '-in',
      'coffre/SHA256SUMS',
      '-sigfile',
      'coffre/SHA256SUMS.sig',
    ],
    { cwd: dir },
  );
}
