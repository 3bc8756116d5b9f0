// Helpers for the in-process HTTP tests: a demo home with a center on a
// clock the test moves, the server built over it, and requests that carry a
// session cookie, the CSRF token and this server's Origin.

import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { BackupCenter } from '../../src/index.js';
import { createServer, type ServerOptions } from '../../src/server/index.js';

/** The origin fastify.inject's requests are addressed to. */
export const ORIGIN = 'http://localhost:80';

export interface Signed {
  cookie: string;
  csrf: string;
}

export async function demoCenter(
  home: string,
  clock: () => Date,
  options: { receipts?: number; images?: number } = {},
): Promise<BackupCenter> {
  await BackupCenter.createDemo(home, {
    profile: 'pos',
    images: options.images ?? 3,
    receipts: options.receipts ?? 20,
  });
  return BackupCenter.open(home, { clock });
}

export async function server(
  center: BackupCenter,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  const app = await createServer(center, options);
  await app.ready();
  return app;
}

export async function signIn(
  app: FastifyInstance,
  name: string,
  password: string,
  remoteAddress = '127.0.0.1',
): Promise<Signed> {
  const r = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    headers: { origin: ORIGIN },
    payload: { name, password },
    remoteAddress,
  });
  if (r.statusCode !== 200) throw new Error(`sign-in failed: ${r.statusCode} ${r.body}`);
  const cookie = String(r.headers['set-cookie']).split(';')[0];
  return { cookie, csrf: r.json<{ csrf: string }>().csrf };
}

export function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  options: {
    as?: Signed | null;
    payload?: unknown;
    headers?: Record<string, string>;
    remoteAddress?: string;
  } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers.origin = ORIGIN;
  if (options.as) {
    headers.cookie = options.as.cookie;
    if (method !== 'GET') headers['x-csrf-token'] = options.as.csrf;
  }
  return app.inject({
    method,
    url,
    headers: { ...headers, ...options.headers },
    ...(options.payload !== undefined ? { payload: options.payload as string } : {}),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}
