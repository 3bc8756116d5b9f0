// Sessions, CSRF and headers at the HTTP edge: the session cookie (HttpOnly,
// SameSite=Strict, Secure under TLS), the CSRF check on every state-changing
// request (a per-session token and the Origin or Referer), and the security
// headers of every response. Who a user is and what they may do is the
// users service's and core/rights'; this only carries it over HTTP.

import crypto from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CoffreError } from '../index.js';

export const SESSION_COOKIE = 'coffre_session';
/**
 * Under TLS the cookie is `__Host-coffre_session`: browsers then keep it to
 * this exact host (no Domain, Path /, Secure), so a sibling site of the same
 * domain cannot plant a session of its choosing.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  // No referrer to any other site. Not 'no-referrer': under it a browser
  // sends `Origin: null` on its own form posts, which the Origin check refuses.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** One cookie's value from the Cookie header. */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{1,200}$/.test(value) ? value : null;
    }
  }
  return null;
}

/** The Set-Cookie value for the session (or for clearing it). */
export function sessionCookie(id: string | null, secure: boolean, maxAgeSeconds = 0): string {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict'];
  if (secure) attrs.push('Secure');
  const name = sessionCookieName(secure);
  if (id === null) return [`${name}=`, 'Max-Age=0', ...attrs].join('; ');
  return [`${name}=${id}`, `Max-Age=${Math.max(1, Math.floor(maxAgeSeconds))}`, ...attrs].join(
    '; ',
  );
}

export function isStateChanging(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method);
}

/**
 * The names the server answers to by default: loopback's, and this
 * machine's own. An address (127.0.0.1, 192.168.1.20, [::1]) is always
 * accepted: a DNS-rebinding page reaches the server only under a name.
 */
export function defaultHostNames(): string[] {
  const me = os.hostname().toLowerCase();
  return ['localhost', me, `${me}.local`];
}

/**
 * Refuses a request whose Host names this server under a name it was not
 * given: another site's page that made its own name point at this machine
 * (DNS rebinding) cannot talk to it, not even to try passwords.
 */
export function checkHost(req: FastifyRequest, names: readonly string[] | 'any'): void {
  if (names === 'any') return;
  const host = req.headers.host ?? '';
  // "[v6]" or "[v6]:port"; anything after the bracket but a port is not a host.
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(host);
  if (host.startsWith('[') && !bracketed) throw notHere(host);
  const name = (bracketed ? bracketed[1] : host.replace(/:\d+$/, ''))
    .toLowerCase()
    .replace(/\.$/, '');
  if (name !== '' && (net.isIP(name) !== 0 || names.includes(name))) return;
  throw notHere(name);
}

function notHere(name: string): CoffreError {
  return new CoffreError(
    'FORBIDDEN',
    `This Backup center does not answer to the name "${name}": open it by its address (e.g. 127.0.0.1), or serve it with that name allowed (--host-name ${name || 'NAME'}).`,
    { details: { host: name } },
  );
}

/** The origin this request was addressed to: scheme and Host. */
function ownOrigin(req: FastifyRequest, secure: boolean): string | null {
  const host = req.headers.host;
  return host ? originOf(`${secure ? 'https' : 'http'}://${host}`) : null;
}

/** An origin as browsers write it (no default port), or null. */
function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/**
 * A state-changing request must come from the page itself: its Origin (or,
 * without one, its Referer) must be this server's. Browsers send Origin on
 * every POST; a request with neither is refused.
 */
export function checkOrigin(req: FastifyRequest, secure: boolean): void {
  const own = ownOrigin(req, secure);
  const origin = req.headers.origin;
  const from =
    typeof origin === 'string'
      ? originOf(origin)
      : typeof req.headers.referer === 'string'
        ? originOf(req.headers.referer)
        : null;
  if (!own || from !== own) {
    throw new CoffreError(
      'FORBIDDEN',
      'This request did not come from the Backup center page (its origin does not match); reload the page and try again.',
      { details: { csrf: true } },
    );
  }
}

/** The CSRF token must match the session's: header x-csrf-token, or form field _csrf. */
export function checkCsrfToken(req: FastifyRequest, expected: string | null): void {
  const header = req.headers['x-csrf-token'];
  const body = req.body as Record<string, unknown> | null | undefined;
  const given =
    typeof header === 'string'
      ? header
      : body && typeof body === 'object' && typeof body._csrf === 'string'
        ? body._csrf
        : null;
  if (expected === null || given === null || !safeEqual(given, expected)) {
    throw new CoffreError(
      'FORBIDDEN',
      'This form has expired or did not come from the Backup center page; reload the page and try again.',
      { details: { csrf: true } },
    );
  }
}

function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/** The CSRF token for a user the host app signed in (no Coffre session): tied to the name. */
export function hostCsrf(secret: Buffer, user: string): string {
  return crypto.createHmac('sha256', secret).update(`csrf:${user}`).digest('base64url');
}

export function applySecurityHeaders(reply: FastifyReply): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
}
