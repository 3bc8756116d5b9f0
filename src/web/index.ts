// The Backup center page: the server calls registerPage to add the page's
// routes through its route table, so every page route declares its right.
// The page is server-rendered HTML; forms post without JavaScript; one small
// external script adds live progress.

import type { FastifyInstance } from 'fastify';
import type { PageContext } from '../server/routes.js';
import type { PageDeps } from './common.js';
import { PageData } from './data.js';
import { actionRoutes } from './routes-actions.js';
import { restoreRoutes } from './routes-restore.js';
import { viewRoutes } from './routes-view.js';
import { PageState } from './state.js';

export function registerPage(app: FastifyInstance, ctx: PageContext): void {
  const deps: PageDeps = { data: new PageData(ctx.center), state: new PageState() };
  app.addHook('onClose', () => {
    deps.data.stop();
    return Promise.resolve();
  });
  // Signed out (the page's form or the API) or signed in again: what was kept for that session goes.
  ctx.onSessionEnd((id) => deps.state.forget(id));
  for (const def of [...viewRoutes(deps), ...actionRoutes(deps), ...restoreRoutes(deps)]) {
    ctx.route(def);
  }
}
