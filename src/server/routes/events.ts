// Live progress as server-sent events: every job's start, progress and end,
// whether it runs in this process (page, schedule) or in another (the CLI).

import { route } from '../routes.js';

export const eventRoutes = [
  route({
    method: 'GET',
    url: '/api/events',
    access: 'signed-in',
    handler: ({ center, req, reply }) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      const send = (event: string, data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const onBackup = (e: unknown) => send('backup', e);
      const onRestore = (e: unknown) => send('restore', e);
      center.events.on('backup', onBackup);
      center.events.on('restore', onRestore);
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
      send('hello', { at: new Date().toISOString() });
      req.raw.on('close', () => {
        clearInterval(keepAlive);
        center.events.off('backup', onBackup);
        center.events.off('restore', onRestore);
      });
      return undefined;
    },
  }),
];
