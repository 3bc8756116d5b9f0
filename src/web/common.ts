// What every page route shares: reading a posted form, the viewer's rights,
// building the page context, redirecting after a post, and turning an error
// into the CLI's words for the page (no flags, no stack trace).

import { isCoffreError } from '../index.js';
import type { RouteContext } from '../server/routes.js';
import type { PageData } from './data.js';
import { pageHint } from './hints.js';
import type { Html } from './html.js';
import type { PageContext, Rights } from './model.js';
import type { PageState } from './state.js';

export interface PageDeps {
  data: PageData;
  state: PageState;
}

/** A posted form's fields (the server parses url-encoded bodies into an object). */
export function form(ctx: RouteContext): Record<string, string> {
  const body = ctx.req.body;
  if (!body || typeof body !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Ticked boxes named `prefix.value` (one name per box, since a form posts each name once here). */
export function ticked(fields: Record<string, string>, prefix: string): string[] {
  return Object.keys(fields)
    .filter((k) => k.startsWith(`${prefix}.`))
    .map((k) => k.slice(prefix.length + 1));
}

export function rightsOf(ctx: RouteContext): Rights {
  const r = ctx.user?.rights ?? [];
  return { exportData: r.includes('export'), manageSettings: r.includes('settings') };
}

/** Who the page's remembered state belongs to: the session, or the host's user. */
export function owner(ctx: RouteContext): string {
  return ctx.sessionId ?? `host:${ctx.user?.name ?? ''}`;
}

export async function pageContext(ctx: RouteContext, deps: PageDeps): Promise<PageContext> {
  return deps.data.context({
    user: ctx.user?.name ?? '',
    rights: rightsOf(ctx),
    csrf: ctx.csrf ?? '',
    flash: deps.state.takeFlash(owner(ctx)),
    running: deps.data.running,
  });
}

export function sendHtml(ctx: RouteContext, body: Html, status = 200): undefined {
  void ctx.reply.status(status).type('text/html; charset=utf-8').send(body.value);
  return undefined;
}

export function redirect(ctx: RouteContext, to: string): undefined {
  void ctx.reply.redirect(to, 303);
  return undefined;
}

/** The words of an error, as the CLI prints them (library messages never name flags). */
export function words(err: unknown): string {
  if (isCoffreError(err)) return withHint(err.message, err.code);
  throw err;
}

/**
 * Runs a form's action; on a Coffre error, shows its words on the next page
 * instead. Unexpected errors go to the server's handler (logged, with an id).
 */
export async function act(
  ctx: RouteContext,
  deps: PageDeps,
  back: string,
  action: () => Promise<string | null>,
): Promise<undefined> {
  try {
    const ok = await action();
    deps.data.invalidate();
    if (ok) deps.state.flash(owner(ctx), { kind: 'ok', text: ok });
  } catch (err) {
    deps.state.flash(owner(ctx), { kind: 'error', text: words(err) });
  }
  return redirect(ctx, back);
}

/** A message followed by what to do next, in the page's terms. */
export function withHint(message: string, code: string): string {
  const hint = pageHint(code);
  return hint ? `${message} ${hint}` : message;
}
