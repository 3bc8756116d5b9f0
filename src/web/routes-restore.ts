// The restore wizard's posts: pick an archive, give its key, choose the
// sections, read the plan, confirm (typed word and the password again), then
// the restore runs in the background and the tab follows it; undo after.

import { CoffreError } from '../index.js';
import { route, type RouteContext, type RouteDef } from '../server/routes.js';
import { act, form, owner, redirect, ticked, words, type PageDeps } from './common.js';
import { startJob } from './routes-actions.js';
import type { Draft } from './state.js';
import { CONFIRM_WORD } from './tabs/restore.js';

/** The plan of the draft's restore as it stands (nothing changes: confirm says no). */
async function plan(deps: PageDeps, d: Draft): Promise<void> {
  const r = await deps.data.center.restore(d.backup.ref, {
    from: d.backup.from ?? undefined,
    sections: d.chosen.length > 0 ? d.chosen : undefined,
    ...d.keys,
    confirm: () => false,
  });
  d.plan = r.plan;
  if (d.available.length === 0)
    d.available = r.plan.sections.map((s) => ({ name: s.name, label: s.label }));
}

/** Moves the wizard on; an error stays on the step, in the CLI's words. */
async function step(d: Draft, onError: Draft['step'], work: () => Promise<void>): Promise<void> {
  try {
    await work();
    d.error = null;
  } catch (err) {
    d.error = words(err);
    d.step = onError;
  }
}

const REWIND_UNTICKED =
  "Nothing was restored: this restore takes fiscal records out of the register's chain. Read what the plan says about them, and tick the box to confirm that too.";
const REWIND_NEW =
  "Nothing was restored: records were added since the plan was shown, and this restore now takes fiscal records out of the register's chain. Read the plan again, and tick the box to confirm that too.";

async function confirmAgain(ctx: RouteContext, f: Record<string, string>): Promise<void> {
  if ((f.confirm ?? '').trim().toUpperCase() !== CONFIRM_WORD) {
    throw new CoffreError('USAGE', `Type ${CONFIRM_WORD} to confirm the restore.`);
  }
  if (ctx.user?.via === 'session') {
    await ctx.center.users.confirmPassword(ctx.user.name, f.password ?? '', ctx.address);
  }
}

export function restoreRoutes(deps: PageDeps): RouteDef[] {
  const center = deps.data.center;
  const post = (url: string, handler: (ctx: RouteContext) => Promise<undefined> | undefined) =>
    route({ method: 'POST', url, access: 'export+settings', page: true, handler });
  const draftOf = (ctx: RouteContext): Draft => {
    const d = deps.state.draft(owner(ctx), (ctx.req.params as { id: string }).id);
    if (!d)
      throw new CoffreError(
        'USAGE',
        'This restore was started over or has expired: pick the archive again.',
      );
    return d;
  };
  return [
    post('/restore/start', async (ctx) => {
      const [from, id] = (form(ctx).backup ?? '').split('|');
      const listing = await deps.data.list();
      const b = listing.backups.find((x) => x.id === id && x.destination === from);
      if (!b) {
        deps.state.flash(owner(ctx), {
          kind: 'error',
          text: `No backup "${id ?? ''}" was found in ${from ?? 'any destination'}.`,
        });
        return redirect(ctx, '/restore');
      }
      const d = deps.state.newDraft(owner(ctx), {
        ref: b.id,
        from: b.destination,
        createdAt: b.createdAt,
        origin: b.origin,
        encrypted: b.encrypted,
        size: b.size,
        note: b.note,
        uploaded: false,
      });
      if (b.encrypted) d.step = 'key';
      else await step(d, 'sections', () => plan(deps, d));
      return redirect(ctx, '/restore');
    }),
    post('/restore/:id/key', async (ctx) => {
      const d = draftOf(ctx);
      const f = form(ctx);
      const key = (f.key ?? '').trim();
      d.keys = { identities: key ? [key] : undefined, passphrase: f.passphrase || null };
      d.hasKey = Boolean(key || f.passphrase);
      d.step = 'sections';
      await step(d, 'key', () => plan(deps, d));
      return redirect(ctx, '/restore');
    }),
    post('/restore/:id/sections', async (ctx) => {
      const d = draftOf(ctx);
      const f = form(ctx);
      d.chosen = f.scope === 'some' ? ticked(f, 'section') : [];
      if (f.scope === 'some' && d.chosen.length === 0) {
        d.error = 'Tick at least one section, or choose Everything.';
        return redirect(ctx, '/restore');
      }
      d.step = 'confirm';
      await step(d, 'sections', () => plan(deps, d));
      return redirect(ctx, '/restore');
    }),
    post('/restore/:id/back', (ctx) => {
      const d = draftOf(ctx);
      d.step = 'sections';
      d.error = null;
      return redirect(ctx, '/restore');
    }),
    post('/restore/:id/discard', (ctx) => {
      deps.state.dropDraft(draftOf(ctx).id);
      return redirect(ctx, '/restore');
    }),
    post('/restore/:id/confirm', async (ctx) => {
      const d = draftOf(ctx);
      try {
        const f = form(ctx);
        await confirmAgain(ctx, f);
        // The box the plan asked for, checked here and not only by the browser.
        const acceptRewind = f.fiscalRewind === 'yes';
        if (d.plan?.fiscalRewind && !acceptRewind) throw new CoffreError('USAGE', REWIND_UNTICKED);
        startJob(deps, 'restore', async (onProgress) => {
          try {
            // The service asks only when the restore it is about to run
            // rewinds the chain, and cancels it when the answer is no.
            const r = await center.restore(d.backup.ref, {
              from: d.backup.from ?? undefined,
              sections: d.chosen.length > 0 ? d.chosen : undefined,
              ...d.keys,
              confirmFiscalRewind: () => acceptRewind,
              trigger: 'page',
              onProgress,
            });
            if (r.applied) {
              d.result = r;
              d.step = 'done';
            } else {
              // The restore now rewinds the chain (records added since the
              // plan was shown) and the box was not there to tick: the new plan.
              d.plan = r.plan;
              d.error = REWIND_NEW;
              d.step = 'confirm';
            }
          } catch (err) {
            d.error = words(err);
            d.step = 'confirm';
          }
        });
        d.step = 'running';
        d.error = null;
      } catch (err) {
        d.error = words(err);
      }
      return redirect(ctx, '/restore');
    }),
    post('/restore/undo', (ctx) =>
      act(ctx, deps, '/restore', async () => {
        await confirmAgain(ctx, form(ctx));
        const d = deps.state.draft(owner(ctx));
        const r = await center.undoLastRestore({ ...(d?.keys ?? {}), trigger: 'page' });
        if (d) deps.state.dropDraft(d.id);
        return `The last restore was undone: the data is back as it was before it${r.restartApp ? '. Restart the app to see it' : ''}.`;
      }),
    ),
  ];
}
