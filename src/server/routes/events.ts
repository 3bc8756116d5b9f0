// Live progress as server-sent events: every job's start, progress and end,
// whether it runs in this process (page, schedule) or in another (the CLI).
// A feed ends with its session (signed out, removed, expired), a session
// has a few feeds at most, and only the full Backup center gets the jobs'
// whole records.

import { CoffreError, decide } from '../../index.js';
import { route } from '../routes.js';

/** Feeds one session may hold open (a few tabs). */
const FEEDS_PER_SESSION = 4;
/** How often an open feed checks that its session still exists. */
const SESSION_CHECK_MS = 5_000;
const open = new Map<string, number>();

export const eventRoutes = [
  route({
    method: 'GET',
    url: '/api/events',
    access: 'signed-in',
    handler: ({ center, req, reply, pollMs, user, sessionId }) => {
      const session = user?.via === 'session' ? sessionId : null;
      if (session && (open.get(session) ?? 0) >= FEEDS_PER_SESSION) {
        throw new CoffreError(
          'BUSY',
          `This session already follows ${FEEDS_PER_SESSION} live feeds: close a tab of the Backup center.`,
        );
      }
      const whole = decide('export+settings', user?.rights ?? null) === 'ok';
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      if (session) open.set(session, (open.get(session) ?? 0) + 1);
      const send = (event: string, data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      send('hello', { pid: process.pid });
      const stop = center.watchJobs((e) => {
        if (e.type === 'progress') send('progress', e.progress);
        else if (whole) send(e.type, e.job);
        else send(e.type, { id: e.job.id, kind: e.job.kind, startedAt: e.job.startedAt });
      }, pollMs);
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      keepAlive.unref();
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(keepAlive);
        clearInterval(check);
        stop();
        if (session) {
          const left = (open.get(session) ?? 1) - 1;
          if (left > 0) open.set(session, left);
          else open.delete(session);
        }
        res.end();
      };
      const check = setInterval(
        () => {
          if (session && !center.users.session(session, { touch: false })) end();
        },
        Math.min(SESSION_CHECK_MS, pollMs * 5),
      );
      check.unref();
      req.raw.on('close', end);
      res.on('close', end);
      return undefined;
    },
  }),
];
