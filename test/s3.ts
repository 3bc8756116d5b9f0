// Starts the real S3 server (s3rver, in its own process) on 127.0.0.1 for a
// test file: a fresh storage folder, the buckets asked for, and an access key
// pair of the test's own. The process can be killed and started again on the
// same port and storage, as a server that crashes and comes back.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { ROOT, tempDir } from './helpers.js';

export const S3_SERVER = path.join(ROOT, 'dist/test/fixtures/s3-server.js');

export interface S3Server {
  endpoint: string;
  port: number;
  /** Where the server keeps the objects (a storage folder given to it outlives stop()). */
  dir: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Environment for the CLI with this server's credentials. */
  env: Record<string, string>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port and storage. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Multipart uploads still open in a bucket (their parts take space). */
  openUploads(bucket: string): string[];
}

async function launch(dir: string, port: number, buckets: string[], key: string) {
  const child = spawn(process.execPath, [S3_SERVER, dir, String(port), buckets.join(','), key], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  const ready = new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: string) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) =>
      reject(new Error(`the S3 server exited (${code}) before listening`)),
    );
  });
  return { child, port: await ready };
}

export async function startS3Server(
  buckets: string[] = ['coffre-test'],
  options: {
    port?: number;
    accessKeyId?: string;
    secretAccessKey?: string;
    /** Where to keep the objects (kept by stop()); default a fresh temporary folder (removed by stop()). */
    dir?: string;
  } = {},
): Promise<S3Server> {
  const dir = options.dir ?? tempDir('coffre-s3-');
  if (options.dir) fs.mkdirSync(dir, { recursive: true });
  const accessKeyId = options.accessKeyId ?? 'COFFRETESTKEY';
  const secretAccessKey = options.secretAccessKey ?? 'coffre-test-secret-8f3a9c';
  const key = `${accessKeyId}:${secretAccessKey}`;
  const started = await launch(dir, options.port ?? 0, buckets, key);
  const port = started.port;
  let child = started.child;
  const server: S3Server = {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    dir,
    accessKeyId,
    secretAccessKey,
    env: { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await server.kill();
      ({ child } = await launch(dir, port, buckets, key));
    },
    async stop() {
      await server.kill();
      if (!options.dir) fs.rmSync(dir, { recursive: true, force: true });
    },
    openUploads(bucket: string) {
      const uploads = path.join(dir, bucket, '._S3rver_uploads');
      return fs.existsSync(uploads) ? fs.readdirSync(uploads) : [];
    },
  };
  return server;
}
