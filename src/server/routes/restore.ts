// The Restore tab: the list of backups to pick from, the plan (what will be
// replaced and lost), the restore itself (password again and a typed
// confirmation), and its undo.

import { z } from 'zod';
import { CoffreError } from '../../index.js';
import { parse, route, type RouteContext } from '../routes.js';

/** What the user types to confirm a restore. */
export const RESTORE_CONFIRMATION = 'RESTORE';

const Ref = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/);
const Keys = {
  identity: z.string().max(100_000).optional(),
  passphrase: z.string().max(1024).optional(),
};
const Plan = z.object({
  ref: Ref,
  from: z.string().min(1).optional(),
  sections: z.array(z.string().min(1)).optional(),
  ...Keys,
});
const Restore = Plan.extend({ password: z.string().max(1024), confirmation: z.string().max(100) });
const Undo = z.object({
  password: z.string().max(1024),
  confirmation: z.string().max(100),
  ...Keys,
});

function keys(input: { identity?: string; passphrase?: string }) {
  return {
    identities: input.identity ? [input.identity] : undefined,
    passphrase: input.passphrase ?? null,
  };
}

/** The password again (a Coffre user) and the typed word: the edge's part of confirming a restore. */
async function confirmAgain(
  ctx: RouteContext,
  input: { password: string; confirmation: string },
): Promise<void> {
  if (input.confirmation.trim().toUpperCase() !== RESTORE_CONFIRMATION) {
    throw new CoffreError('USAGE', `Type ${RESTORE_CONFIRMATION} to confirm the restore.`, {
      details: { field: 'confirmation' },
    });
  }
  if (ctx.user?.via === 'session') {
    await ctx.center.users.confirmPassword(ctx.user.name, input.password, ctx.address);
  }
}

export const restoreRoutes = [
  route({
    method: 'GET',
    url: '/api/backups',
    access: 'export',
    handler: ({ center }) => center.list(),
  }),
  route({
    method: 'POST',
    url: '/api/restore/plan',
    access: 'export+settings',
    handler: async ({ center, req }) => {
      const p = parse(Plan, req.body);
      const r = await center.restore(p.ref, {
        from: p.from,
        sections: p.sections,
        ...keys(p),
        confirm: () => false,
      });
      return r.plan;
    },
  }),
  route({
    method: 'POST',
    url: '/api/restore',
    access: 'export+settings',
    handler: async (ctx) => {
      const p = parse(Restore, ctx.req.body);
      await confirmAgain(ctx, p);
      return ctx.center.restore(p.ref, {
        from: p.from,
        sections: p.sections,
        ...keys(p),
        trigger: 'page',
      });
    },
  }),
  route({
    method: 'POST',
    url: '/api/restore/undo',
    access: 'export+settings',
    handler: async (ctx) => {
      const p = parse(Undo, ctx.req.body);
      await confirmAgain(ctx, p);
      return ctx.center.undoLastRestore({ ...keys(p), trigger: 'page' });
    },
  }),
];
