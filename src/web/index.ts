// The Backup center page (placeholder until the page lands): the server calls
// registerPage to add the page's routes through the same route table as the
// API, so every page route declares its right too.

import type { FastifyInstance } from 'fastify';
import type { PageContext } from '../server/routes.js';

export function registerPage(_app: FastifyInstance, ctx: PageContext): void {
  ctx.route({
    method: 'GET',
    url: '/',
    access: 'public',
    handler: ({ reply }) =>
      reply
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Coffre</title></head><body><h1>Coffre Backup center</h1><p>The page is coming; the API is under /api/.</p></body></html>',
        ),
  });
}
