// The Backup center's HTTP server: builds a fastify instance over one
// BackupCenter, mounts the API's route table and the page, and applies the
// same rules to every route: security headers, who is signed in (a Coffre
// session or the host app's user), the route's declared right, CSRF on
// state-changing requests, and errors as JSON with a status from errors.ts.

import crypto from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import {
  CoffreError,
  decide,
  isAccess,
  RIGHT_NAMES,
  type BackupCenter,
  type Right,
} from '../index.js';
import { registerPage } from '../web/index.js';
import {
  applySecurityHeaders,
  checkCsrfToken,
  checkHost,
  checkOrigin,
  defaultHostNames,
  hostCsrf,
  isStateChanging,
  readCookie,
  sessionCookie,
  sessionCookieName,
} from './auth.js';
import { toHttpError } from './errors.js';
import { API_ROUTES } from './routes/index.js';
import type { PageContext, RequestUser, RouteContext, RouteDef } from './routes.js';
export type { PageContext } from './routes.js';

export interface ServerOptions {
  /**
   * For a host app that has its own users: returns the signed-in user and
   * their rights for a request, or null to fall back to Coffre's sessions.
   */
  authenticate?(
    req: FastifyRequest,
  ): { user: string; rights: Right[] } | null | Promise<{ user: string; rights: Right[] } | null>;
  /** The server is reached over TLS: cookies get Secure and origins are https. */
  secure?: boolean;
  /** TLS certificate and key (PEM): the server itself speaks HTTPS. */
  https?: { cert: Buffer; key: Buffer };
  /** Called with an unexpected error and the id shown to the user, to log it. */
  onUnexpected?(err: unknown, id: string, req: FastifyRequest): void;
  /**
   * Host names the page may be reached under, besides addresses, localhost
   * and this machine's name; 'any' when the host app checks Host itself.
   */
  hostNames?: readonly string[] | 'any';
  /** How often the live-progress feed looks for jobs of other processes (default 1000 ms). */
  pollMs?: number;
}

/** Live feeds stay open: closing the server ends them rather than waiting for the browsers. */
const FASTIFY = { exposeHeadRoutes: false, logger: false, forceCloseConnections: true } as const;

interface Internals {
  routes: RouteDef[];
  options: ServerOptions;
}

const internals = new WeakMap<FastifyInstance, Internals>();

/** The route table a server was built with (API and page), for tests and docs. */
export function routeTable(app: FastifyInstance): readonly RouteDef[] {
  return internals.get(app)?.routes ?? [];
}

export function serverOptions(app: FastifyInstance): ServerOptions {
  return internals.get(app)?.options ?? {};
}

/**
 * Builds the server (not listening: call `listen`, `inject`, or mount
 * `app.routing` in the host's own Node server after `await app.ready()`).
 *
 * @example
 * const app = await createServer(center, { authenticate: (req) => myApp.userOf(req) });
 * await app.listen({ host: '127.0.0.1', port: 8470 });
 */
export async function createServer(
  center: BackupCenter,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  const app = (
    options.https ? Fastify({ https: options.https, ...FASTIFY }) : Fastify(FASTIFY)
  ) as FastifyInstance;
  const secure = options.secure ?? options.https !== undefined;
  const table: RouteDef[] = [];
  internals.set(app, { routes: table, options });
  const hostSecret = crypto.randomBytes(32);
  /** What the page forgets when a session ends (its wizard, keys and messages). */
  const sessionEnds: ((sessionId: string) => void)[] = [];

  // A route registered without going through the table has no declared right: refused.
  app.addHook('onRoute', (r) => {
    const config: unknown = r.config;
    const access: unknown = (config as { access?: unknown } | undefined)?.access;
    if (!isAccess(access)) {
      throw new Error(
        `Route ${String(r.method)} ${r.url} has no declared access: add it through the route table.`,
      );
    }
  });

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 1 << 20 },
    (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
  // Uploads: the route reads the stream itself.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) =>
    done(null, payload),
  );

  const hostNames =
    options.hostNames === 'any'
      ? 'any'
      : [...defaultHostNames(), ...(options.hostNames ?? []).map((n) => n.toLowerCase())];
  app.addHook('onRequest', async (req, reply) => {
    applySecurityHeaders(reply);
    checkHost(req, hostNames);
  });

  app.setErrorHandler((err, req, reply) => {
    const id = crypto.randomBytes(4).toString('hex');
    const known =
      err instanceof CoffreError
        ? err
        : (err as { statusCode?: number }).statusCode !== undefined &&
            (err as { statusCode: number }).statusCode < 500
          ? new CoffreError('USAGE', `The request could not be read: ${(err as Error).message}.`)
          : err;
    const { status, body, retryAfter } = toHttpError(known, id);
    if (body.error.code === 'INTERNAL') options.onUnexpected?.(err, id, req);
    if (retryAfter !== null) void reply.header('retry-after', String(retryAfter));
    void reply.status(status).send(body);
  });

  app.setNotFoundHandler((_req, reply) => {
    void reply
      .status(404)
      .send({ error: { code: 'USAGE', message: 'There is no such page or API route.' } });
  });

  const mount = (def: RouteDef): void => {
    if (!isAccess(def.access)) {
      throw new Error(`Route ${def.method} ${def.url} has no declared access.`);
    }
    table.push(def);
    app.route({
      method: def.method,
      url: def.url,
      config: { access: def.access },
      handler: async (req, reply) => {
        const address = req.ip;
        const sessionId = readCookie(req.headers.cookie, sessionCookieName(secure));
        let user: RequestUser | null = null;
        let csrf: string | null = null;
        const hosted = options.authenticate ? await options.authenticate(req) : null;
        if (hosted) {
          user = { name: hosted.user, rights: hosted.rights, via: 'host' };
          csrf = hostCsrf(hostSecret, hosted.user);
        } else {
          const session = center.users.session(sessionId);
          if (session) {
            user = { name: session.user, rights: session.rights, via: 'session' };
            csrf = session.csrf;
          }
        }
        const verdict = decide(def.access, user?.rights ?? null);
        if (verdict === 'auth') {
          if (def.page) return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
          throw new CoffreError('AUTH_REQUIRED', 'Sign in to use the Backup center.');
        }
        if (verdict === 'forbidden') {
          throw new CoffreError(
            'FORBIDDEN',
            `This needs the right "${rightWords(def.access)}", which ${user!.name} does not have.`,
          );
        }
        if (isStateChanging(req.method)) {
          checkOrigin(req, secure);
          // Signing in has no session yet: the Origin check is its CSRF defence.
          if (def.access !== 'public' || user !== null) checkCsrfToken(req, csrf);
        }
        const ctx: RouteContext = {
          center,
          req,
          reply,
          user,
          csrf,
          address,
          secure,
          sessionId,
          pollMs: options.pollMs ?? 1000,
          setSession: (id, maxAge) => {
            if (sessionId && sessionId !== id) for (const end of sessionEnds) end(sessionId);
            void reply.header('set-cookie', sessionCookie(id, secure, maxAge));
          },
        };
        // The journal names the signed-in user for what this request does.
        const result = await (user
          ? center.actingAs(user.name, () => def.handler(ctx))
          : def.handler(ctx));
        if (result === undefined) return reply;
        return result;
      },
    });
  };

  for (const def of API_ROUTES) mount(def);
  const page: (app: FastifyInstance, ctx: PageContext) => void | Promise<void> = registerPage;
  await page(app, { center, route: mount, onSessionEnd: (f) => sessionEnds.push(f) });
  return app;
}

function rightWords(access: string): string {
  return access
    .split('+')
    .map((r) => RIGHT_NAMES[r as Right] ?? r)
    .join('" and "');
}
