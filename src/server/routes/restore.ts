// The Restore tab: the list of backups to pick from, the plan (what will be
// replaced and lost), the restore itself (password again and a typed
// confirmation), and its undo.

import { Readable } from 'node:stream';
import { z } from 'zod';
import { CoffreError } from '../../index.js';
import { BACKUP_ID, parse, route, type RouteContext } from '../routes.js';

/** What the user types to confirm a restore. */
export const RESTORE_CONFIRMATION = 'RESTORE';

const Ref = z.string().regex(BACKUP_ID);
const Keys = {
  identity: z.string().max(100_000).optional(),
  passphrase: z.string().max(1024).optional(),
};
const Plan = z.object({
  /** A backup id, or an uploaded archive's id with `upload`. */
  ref: Ref.optional(),
  upload: z
    .string()
    .regex(/^[0-9a-f]{24}$/)
    .optional(),
  from: z.string().min(1).optional(),
  sections: z.array(z.string().min(1)).optional(),
  ...Keys,
});
const Restore = Plan.extend({
  password: z.string().max(1024),
  confirmation: z.string().max(100),
  /**
   * The second confirmation a restore that takes fiscal records out of the
   * chain needs (the plan's `fiscalRewind`). Without it such a restore is
   * refused by the service (USAGE, `details.fiscalRewind`), nothing changed.
   */
  acceptFiscalRewind: z.boolean().optional(),
});
const Undo = z.object({
  password: z.string().max(1024),
  confirmation: z.string().max(100),
  ...Keys,
});

const Download = z.object({ from: z.string().min(1).optional() });
const Upload = z.object({
  name: z.string().min(1).max(250),
  sha256: z.string().optional(),
});

/** The archive a restore reads: a backup by id, or an upload by its id. */
function target(ctx: RouteContext, p: { ref?: string; upload?: string }): string {
  if (p.upload) return ctx.center.uploads.path(p.upload);
  if (p.ref) return p.ref;
  throw new CoffreError('USAGE', 'Choose a backup (or upload an archive) to restore.', {
    details: { field: 'ref' },
  });
}

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
    method: 'GET',
    url: '/api/backups/:id/download',
    access: 'export',
    // Streamed from the destination to the browser, never held whole in memory.
    handler: async ({ center, req, reply }) => {
      const id = parse(z.object({ id: Ref }), req.params).id;
      const a = await center.openArchive(id, parse(Download, req.query).from);
      void reply.header('content-type', 'application/octet-stream');
      void reply.header('content-disposition', `attachment; filename="${a.archive}"`);
      if (a.size !== null) void reply.header('content-length', String(a.size));
      if (a.sha256 !== null) void reply.header('x-coffre-sha256', a.sha256);
      void reply.send(a.stream);
      return undefined;
    },
  }),
  route({
    method: 'POST',
    url: '/api/uploads',
    access: 'export+settings',
    rawBody: true,
    // The body is the archive itself (application/octet-stream), streamed to disk.
    handler: ({ center, req }) => {
      const { name, sha256 } = parse(Upload, req.query);
      if (!(req.body instanceof Readable)) {
        throw new CoffreError('USAGE', 'Send the archive itself as application/octet-stream.');
      }
      const length = Number(req.headers['content-length']);
      return center.uploads.receive(req.body, {
        name,
        sha256: sha256 ?? null,
        declaredBytes: Number.isSafeInteger(length) && length >= 0 ? length : null,
      });
    },
  }),
  route({
    method: 'POST',
    url: '/api/restore/plan',
    access: 'export+settings',
    handler: async (ctx) => {
      const p = parse(Plan, ctx.req.body);
      const r = await ctx.center.restore(target(ctx, p), {
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
      return ctx.center.restore(target(ctx, p), {
        from: p.from,
        sections: p.sections,
        ...keys(p),
        // Asked by the service only when the restore rewinds the chain.
        ...(p.acceptFiscalRewind ? { confirmFiscalRewind: () => true } : {}),
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
