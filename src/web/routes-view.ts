// The page's GET routes: one URL per tab (each declares its right), the
// sign-in form and its post, signing out, and the stylesheet and script.

import { CoffreError } from '../index.js';
import { route, type RouteContext, type RouteDef } from '../server/routes.js';
import { SCRIPT } from './assets/script.js';
import { STYLE } from './assets/style.js';
import { ASSET_VERSION } from './assets/version.js';
import {
  form,
  owner,
  pageContext,
  redirect,
  rightsOf,
  sendHtml,
  words,
  type PageDeps,
} from './common.js';
import { loginPage } from './login.js';
import { renderTab } from './render.js';
import type { Tab } from './model.js';

/** Where to go after signing in: a path of this site only. */
function safeNext(next: string | undefined): string {
  // Printable characters only: a line break would end up in the Location header.
  return next && /^\/[a-z][\x21-\x7e]*$/.test(next) ? next : '/status';
}

function asset(url: string, type: string, body: string): RouteDef {
  return route({
    method: 'GET',
    url,
    access: 'public',
    handler: ({ req, reply }) => {
      // Versioned URLs never change content: cache them for long.
      const versioned = (req.query as { v?: string }).v === ASSET_VERSION;
      void reply
        .header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache')
        .type(type)
        .send(body);
      return undefined;
    },
  });
}

async function tabView(ctx: RouteContext, deps: PageDeps, tab: Tab) {
  const page = await pageContext(ctx, deps);
  const me = owner(ctx);
  switch (tab) {
    case 'status':
      return renderTab(page, { tab });
    case 'backup':
      return renderTab(page, { tab, data: await deps.data.backupTab(deps.state.lastBackup) });
    case 'restore': {
      const [listing, draft] = [await deps.data.list(), deps.state.draft(me)];
      return renderTab(page, {
        tab,
        data: {
          backups: listing.backups,
          unavailable: listing.unavailable,
          kinds: deps.data.kinds(),
          draft,
          // Any restore that took effect, the page's or another's (the CLI, a host app).
          undoable: deps.data.center.undoableRestore(),
        },
      });
    }
    case 'fiscal':
      return renderTab(page, {
        tab,
        data: await deps.data.fiscalTab(rightsOf(ctx).manageSettings),
      });
    case 'auto': {
      const key = deps.state.takeKey(me);
      const newKey = key
        ? {
            ...key,
            downloadUrl: `data:text/plain;charset=utf-8,${encodeURIComponent(
              `# Coffre backup recovery key\n# public key: ${key.recipient}\n${key.identity}\n`,
            )}`,
          }
        : null;
      return renderTab(page, { tab, data: await deps.data.autoTab(newKey) });
    }
    case 'cloud':
      return renderTab(page, { tab, data: await deps.data.cloudTab() });
    case 'maintenance':
      return renderTab(page, {
        tab,
        data: await deps.data.maintenanceTab(deps.state.takeVerified(me)),
      });
  }
}

function tabRoute(deps: PageDeps, tab: Tab, access: RouteDef['access']): RouteDef {
  return route({
    method: 'GET',
    url: `/${tab}`,
    access,
    page: true,
    handler: async (ctx) => sendHtml(ctx, await tabView(ctx, deps, tab)),
  });
}

export function viewRoutes(deps: PageDeps): RouteDef[] {
  const center = deps.data.center;
  return [
    asset('/assets/page.css', 'text/css; charset=utf-8', STYLE),
    asset('/assets/page.js', 'text/javascript; charset=utf-8', SCRIPT),
    route({
      method: 'GET',
      url: '/',
      access: 'signed-in',
      page: true,
      handler: (ctx) => redirect(ctx, '/status'),
    }),
    tabRoute(deps, 'status', 'signed-in'),
    tabRoute(deps, 'fiscal', 'export'),
    tabRoute(deps, 'backup', 'export+settings'),
    tabRoute(deps, 'restore', 'export+settings'),
    tabRoute(deps, 'auto', 'export+settings'),
    tabRoute(deps, 'cloud', 'export+settings'),
    tabRoute(deps, 'maintenance', 'export+settings'),
    route({
      method: 'GET',
      url: '/login',
      access: 'public',
      handler: (ctx) => {
        const next = safeNext((ctx.req.query as { next?: string }).next);
        if (ctx.user) return redirect(ctx, next);
        return sendHtml(
          ctx,
          loginPage({ csrf: '', registerName: center.identity.name, error: null, next }),
        );
      },
    }),
    route({
      method: 'POST',
      url: '/login',
      access: 'public',
      handler: async (ctx) => {
        const f = form(ctx);
        const next = safeNext(f.next);
        try {
          if (!f.user || !f.password) {
            throw new CoffreError('USAGE', 'Enter your user name and your password.');
          }
          const signed = await center.users.login(f.user, f.password, ctx.address);
          if (ctx.sessionId) center.users.logout(ctx.sessionId);
          ctx.setSession(signed.id, center.users.absoluteMs / 1000);
          return redirect(ctx, next);
        } catch (err) {
          const status = err instanceof CoffreError && err.code === 'AUTH_REQUIRED' ? 401 : 400;
          return sendHtml(
            ctx,
            loginPage({
              csrf: '',
              registerName: center.identity.name,
              error: words(err),
              next,
              user: f.user,
            }),
            status,
          );
        }
      },
    }),
    route({
      method: 'POST',
      url: '/logout',
      access: 'signed-in',
      page: true,
      handler: (ctx) => {
        if (ctx.sessionId) center.users.logout(ctx.sessionId);
        ctx.setSession(null);
        return redirect(ctx, '/login');
      },
    }),
  ];
}
