// The route table: every route of the API and of the page is one entry
// {method, url, access, handler}. `access` is the one place a route declares
// its right; `mount` refuses an entry without one, and the server refuses a
// route registered any other way (see app.ts). Handlers are thin: parse the
// input, call one BackupCenter method, return JSON.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import { CoffreError, type Access, type BackupCenter, type Right } from '../index.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The signed-in user of a request, from a Coffre session or from the host app. */
export interface RequestUser {
  name: string;
  rights: Right[];
  /** 'session': a Coffre user (who can confirm with a password); 'host': given by the host app. */
  via: 'session' | 'host';
}

export interface RouteContext {
  center: BackupCenter;
  req: FastifyRequest;
  reply: FastifyReply;
  /** null when signed out (only on public routes). */
  user: RequestUser | null;
  /** The CSRF token to put in forms (`_csrf`) and in fetch headers (`x-csrf-token`); null when signed out. */
  csrf: string | null;
  /** The client's address (for sign-in throttling). */
  address: string;
  /** Whether the request came over TLS (cookies get Secure). */
  secure: boolean;
  /** Sets or clears the session cookie. */
  setSession: (id: string | null, maxAgeSeconds?: number) => void;
  /** The session id from the cookie, if any. */
  sessionId: string | null;
  /** How often the live feed looks for other processes' jobs (ms). */
  pollMs: number;
}

export interface RouteDef {
  method: Method;
  url: string;
  /** Who may call it: the one declaration of the route's right. */
  access: Access;
  /**
   * Returns the JSON to send (status 200), or undefined when the handler
   * sent the reply itself (a stream, a redirect, HTML).
   */
  handler(ctx: RouteContext): unknown;
  /** A page route (HTML): signed out, it redirects to /login instead of a JSON error. */
  page?: boolean;
  /** The body is a raw stream (an upload), not parsed. */
  rawBody?: boolean;
}

/** Declares a route; the type makes `access` mandatory. */
export function route(def: RouteDef): RouteDef {
  return def;
}

/**
 * A backup named over the network: an id as the lists show it, never a path
 * on the register (the library and the CLI on the machine may name files).
 */
export const BACKUP_ID = /^[A-Za-z0-9_.:-]{1,200}$/;

/** The backup id of a form field, or a USAGE error when it is anything else. */
export function backupId(value: string | undefined): string {
  if (value !== undefined && BACKUP_ID.test(value)) return value;
  throw new CoffreError('USAGE', 'Choose a backup from the list: that is not a backup id.', {
    details: { field: 'backup' },
  });
}

/** Parses input with a zod schema; a bad input is a USAGE error naming the field. */
export function parse<T>(schema: ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.join('.');
  throw new CoffreError('USAGE', `Invalid ${field || 'input'}: ${issue.message}.`, {
    details: { field },
  });
}

/** What the page gets to add its own routes through the same table and checks. */
export interface PageContext {
  center: BackupCenter;
  /** Adds a route: its access is checked like the API's (see docs/DESIGN-NOTES.md). */
  route(def: RouteDef): void;
  /** Called with a session's id when a request ends or replaces it (sign-out, sign-in again). */
  onSessionEnd(listener: (sessionId: string) => void): void;
}
