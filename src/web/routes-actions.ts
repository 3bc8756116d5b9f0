// The page's form posts for Backup, Fiscal, Auto and Maintenance. Each reads
// the form, calls one BackupCenter method, and redirects back to its tab with
// a message (or the error's words and what to do next, see hints.ts). Long jobs run in the
// background; the tab follows them live.

import {
  CoffreError,
  parseSpecArgs,
  type FiscalEvery,
  type Progress,
  type RetentionPolicy,
} from '../index.js';
import { backupId, route, type RouteContext, type RouteDef } from '../server/routes.js';
import { act, form, owner, redirect, ticked, withHint, words, type PageDeps } from './common.js';
import type { BackupOutcome } from './model.js';

/**
 * Starts a job in the background (one at a time: the center holds one lock)
 * and keeps its live progress for the page; `finish` stores its outcome.
 */
export function startJob(
  deps: PageDeps,
  kind: string,
  work: (onProgress: (p: Progress) => void) => Promise<void>,
): void {
  const running = deps.state.busy ?? deps.data.running?.kind;
  if (running) {
    throw new CoffreError('BUSY', `A ${running} is already running: wait for it to end.`);
  }
  deps.state.busy = kind;
  // Progress reaches the page through the center's job feed (PageData), not this callback.
  void work(() => undefined)
    .catch(() => undefined)
    .finally(() => {
      deps.state.busy = null;
      deps.data.invalidate();
    });
}

function specOf(f: Record<string, string>, prefix: string) {
  const every = f[`${prefix}Every`];
  if (every === 'off' || every === undefined) return null;
  if (every === 'day') return parseSpecArgs({ daily: f[`${prefix}At`] ?? '' });
  if (every === 'week')
    return parseSpecArgs({ weekly: `${f[`${prefix}Day`] ?? ''} ${f[`${prefix}At`] ?? ''}` });
  return parseSpecArgs({ cron: f[`${prefix}Cron`] ?? '' });
}

/** The fiscal archives field, when the form has it (only for an app with fiscal data). */
function fiscalOf(f: Record<string, string>): { fiscal?: FiscalEvery } {
  const every = f.fiscalEvery;
  if (every === undefined) return {};
  if (every !== 'monthly' && every !== 'yearly' && every !== 'off')
    throw new CoffreError('USAGE', `Fiscal archives: choose Off, Every month or Every year.`);
  return { fiscal: every };
}

function backupOutcome(err: unknown): BackupOutcome {
  const cancelled = err instanceof CoffreError && err.code === 'CANCELLED';
  return {
    id: null,
    ok: [],
    failed: [],
    sizeBytes: null,
    durationMs: null,
    error: words(err),
    cancelled,
  };
}

export function actionRoutes(deps: PageDeps): RouteDef[] {
  const center = deps.data.center;
  const post = (
    url: string,
    access: RouteDef['access'],
    handler: (ctx: RouteContext) => Promise<undefined> | undefined,
  ) => route({ method: 'POST', url, access, page: true, handler });
  return [
    // ------------------------------------------------------------ Backup
    post('/backup', 'export+settings', (ctx) => {
      const f = form(ctx);
      const to = ticked(f, 'to');
      try {
        startJob(deps, 'backup', async (onProgress) => {
          try {
            const r = await center.backup({
              to: to.length > 0 ? to : undefined,
              note: f.note?.trim() || null,
              trigger: 'page',
              onProgress,
            });
            deps.state.lastBackup = {
              id: r.id,
              ok: r.destinations.map((d) => d.name),
              failed: r.failed.map((x) => ({
                destination: x.destination,
                message: withHint(x.message, x.code),
              })),
              sizeBytes: r.size,
              durationMs: r.durationMs,
              error: null,
              cancelled: false,
            };
          } catch (err) {
            deps.state.lastBackup = backupOutcome(err);
          }
        });
        deps.state.lastBackup = null;
      } catch (err) {
        deps.state.flash(owner(ctx), { kind: 'error', text: words(err) });
      }
      return redirect(ctx, '/backup#live');
    }),
    post('/jobs/cancel', 'export+settings', (ctx) =>
      act(ctx, deps, '/backup', () => {
        const r = deps.data.center.cancelJob(Number(form(ctx).job));
        return Promise.resolve(
          r.cancelled
            ? 'Cancelling: the job stops at its next step.'
            : 'The job had already ended.',
        );
      }),
    ),
    // ------------------------------------------------------------ Fiscal
    post('/fiscal/audit', 'export', (ctx) =>
      act(ctx, deps, '/fiscal', async () => {
        await center.fiscalAudit();
        return 'The audit ran again.';
      }),
    ),
    post('/fiscal/export', 'export', (ctx) =>
      act(ctx, deps, '/fiscal', async () => {
        const f = form(ctx);
        const to = ticked(f, 'to');
        const r = await center.fiscalExport({
          period: (f.period ?? '').trim(),
          destinations: to.length > 0 ? to : undefined,
        });
        const failed = r.failed
          .map((x) => `${x.destination}: ${withHint(x.message, x.code)}`)
          .join('; ');
        return `Fiscal archive ${r.period.label} written (${r.records} records) to ${r.destinations.map((d) => d.name).join(', ')}.${failed ? ` Not written to ${failed}` : ''}`;
      }),
    ),
    // ------------------------------------------------------------ Auto
    post('/auto/schedule', 'export+settings', (ctx) =>
      act(ctx, deps, '/auto', async () => {
        const f = form(ctx);
        await center.setSchedule({
          backup: specOf(f, 'backup'),
          verify: specOf(f, 'verify'),
          onClose: f.onClose === 'yes',
          destinations: ticked(f, 'to'),
          ...fiscalOf(f),
        });
        return 'The schedule is saved.';
      }),
    ),
    post('/auto/retention', 'export+settings', (ctx) =>
      act(ctx, deps, '/auto', async () => {
        const f = form(ctx);
        const names = new Set(
          Object.keys(f)
            .filter((k) => k.includes('.'))
            .map((k) => k.slice(0, k.lastIndexOf('.'))),
        );
        const current = center.configuration;
        for (const name of names) {
          const now = current.retentionByDestination[name] ?? current.retention;
          const patch: Partial<RetentionPolicy> = {};
          for (const key of ['daily', 'weekly', 'monthly', 'yearly'] as const) {
            const v = f[`${name}.${key}`];
            if (v === undefined || v.trim() === '') continue;
            const n = Number(v);
            if (!Number.isInteger(n) || n < 0)
              throw new CoffreError(
                'USAGE',
                `${key} for ${name} must be a whole number (0 or more).`,
              );
            if (n !== now[key]) patch[key] = n;
          }
          if (Object.keys(patch).length > 0) await center.setRetention(patch, name);
        }
        return 'The retention is saved.';
      }),
    ),
    post('/auto/alerts', 'export+settings', (ctx) =>
      act(ctx, deps, '/auto', async () => {
        const f = form(ctx);
        const hours = (f.staleAfterHours ?? '').trim();
        await center.setAlerts({
          webhook: (f.webhook ?? '').trim() || null,
          staleAfterHours: hours === '' ? null : Number(hours),
        });
        return 'The alerts are saved.';
      }),
    ),
    post('/auto/alerts/test', 'export+settings', (ctx) =>
      act(ctx, deps, '/auto', async () => {
        const problems = await center.sendAlert('test', 'A test alert from the Backup center.');
        if (problems === null)
          throw new CoffreError('USAGE', 'No alert is set up: give a webhook URL first.');
        if (problems.length > 0)
          throw new CoffreError(
            'USAGE',
            `The test alert did not get through: ${problems.join('; ')}`,
          );
        return 'The test alert was sent.';
      }),
    ),
    post('/auto/encryption/new-key', 'export+settings', (ctx) =>
      act(ctx, deps, '/auto#encryption', async () => {
        if (form(ctx).ack !== 'yes')
          throw new CoffreError('USAGE', 'Tick the box to say you will keep the key.');
        const key = await center.newEncryptionKey(null);
        deps.state.giveKey(owner(ctx), { recipient: key.recipient, identity: key.identity });
        return 'New backups are encrypted to the new key.';
      }),
    ),
    post('/auto/encryption/recipient', 'export+settings', (ctx) =>
      act(ctx, deps, '/auto#encryption', async () => {
        const recipient = (form(ctx).recipient ?? '').trim();
        await center.setEncryption({ recipients: [recipient], passphraseFile: null });
        return 'New backups are encrypted to this key.';
      }),
    ),
    // ------------------------------------------------------------ Maintenance
    post('/maintenance/prune', 'export+settings', (ctx) =>
      act(ctx, deps, '/maintenance', async () => {
        const f = form(ctx);
        if (f.confirm !== 'yes')
          throw new CoffreError('USAGE', 'Tick the box to confirm the cleanup.');
        const expect = Number(f.expect);
        const r = await center.prune({
          // What runs is what was shown: a plan that changed since is not applied.
          confirm: (plan) => plan.entries.filter((e) => !e.keep).length === expect,
        });
        if (!r.applied)
          throw new CoffreError(
            'USAGE',
            'The backups changed since the preview: read it again, then apply.',
          );
        return `Cleanup done: ${r.deleted} backup${r.deleted === 1 ? '' : 's'} deleted, ${r.swept} leftover${r.swept === 1 ? '' : 's'} removed.`;
      }),
    ),
    post('/maintenance/verify', 'export+settings', (ctx) =>
      act(ctx, deps, '/maintenance', async () => {
        const f = form(ctx);
        const [from, given] = (f.backup ?? '').split('|');
        const id = backupId(given);
        try {
          const r = await center.verify(id, {
            from,
            deep: f.deep === 'yes',
            trigger: 'page',
          });
          deps.state.setVerified(owner(ctx), {
            ref: r.id,
            ok: r.status === 'passed',
            level: r.level,
            message:
              r.status === 'passed'
                ? r.level === 'deep'
                  ? 'restored in a scratch folder and checked: all good.'
                  : 'every entry matches its signed fingerprint.'
                : `checked up to "${r.level}" only: ${r.notChecked ?? 'the contents could not be read'}`,
          });
        } catch (err) {
          deps.state.setVerified(owner(ctx), {
            ref: id,
            ok: false,
            level: '',
            message: words(err),
          });
        }
        return null;
      }),
    ),
    post('/maintenance/delete', 'export+settings', (ctx) =>
      act(ctx, deps, '/maintenance', async () => {
        const [from, id] = (form(ctx).backup ?? '').split('|');
        const r = await center.deleteBackup(backupId(id), { from });
        return `Deleted ${r.deleted.map((d) => `${d.id} from ${d.destination}`).join(', ')}.`;
      }),
    ),
  ];
}
