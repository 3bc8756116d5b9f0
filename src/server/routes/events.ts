// Live progress as server-sent events: every job's start, progress and end,
// whether it runs in this process (page, schedule) or in another (the CLI).

import { route } from '../routes.js';

export const eventRoutes = [
  route({
    method: 'GET',
    url: '/api/events',
    access: 'signed-in',
    handler: ({ center, req, reply, pollMs }) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      const send = (event: string, data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      send('hello', { pid: process.pid });
      const stop = center.watchJobs((e) => {
        if (e.type === 'progress') send('progress', e.progress);
        else send(e.type, e.job);
      }, pollMs);
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      keepAlive.unref();
      req.raw.on('close', () => {
        clearInterval(keepAlive);
        stop();
      });
      return undefined;
    },
  }),
];
