// The frame of every page: the document head (one stylesheet, one external
// script, no inline code: the CSP forbids it), the register's header with the
// last backup, the data volume and the warnings, the tab bar, and the flash
// line that follows a posted form.

import { html, type Html } from './html.js';
import { ago, bytes, count, when } from './format.js';
import { TAB_LABELS, tabsFor, type PageContext, type Tab } from './model.js';
import { ASSET_VERSION } from './assets/version.js';

export function documentShell(title: string, body: Html, bodyClass = ''): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <link rel="stylesheet" href="/assets/page.css?v=${ASSET_VERSION}" />
        <script src="/assets/page.js?v=${ASSET_VERSION}" defer></script>
      </head>
      <body class="${bodyClass}">
        ${body}
      </body>
    </html> `;
}

/** A hidden CSRF field: every form that changes something carries one. */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}" />`;
}

/** A POST form with its CSRF token. */
export function postForm(
  ctx: Pick<PageContext, 'csrf'>,
  action: string,
  body: Html,
  cls = '',
): Html {
  return html`<form method="post" action="${action}" class="${cls}">
    ${csrfField(ctx.csrf)}${body}
  </form>`;
}

function volume(ctx: PageContext): string {
  const s = ctx.status.source;
  const parts: string[] = [];
  if (s.headline)
    parts.push(count(s.headline.count, s.headline.label.replace(/s$/, ''), s.headline.label));
  if (s.files) parts.push(count(s.files.count, s.files.label.replace(/s$/, ''), s.files.label));
  parts.push(bytes(s.databaseBytes + (s.files?.bytes ?? 0)));
  return parts.join(' · ');
}

export interface HeaderWarning {
  text: string;
  link: { href: string; label: string } | null;
}

/** The warnings the header shows: the status's, unplugged destinations, no encryption. */
export function headerWarnings(ctx: PageContext): HeaderWarning[] {
  const manage = ctx.rights.manageSettings;
  const out: HeaderWarning[] = [];
  for (const w of ctx.status.warnings) {
    const link = !manage
      ? null
      : w.code === 'NO_BACKUP' || w.code === 'BACKUP_STALE' || w.code === 'LAST_BACKUP_FAILED'
        ? { href: '/backup', label: 'Back up now' }
        : w.code === 'QUOTA_NEARLY_FULL'
          ? { href: '/cloud', label: 'Open Cloud' }
          : w.code === 'BACKUP_PARTIAL'
            ? { href: '/maintenance#history', label: 'See the history' }
            : null;
    out.push({ text: w.message, link });
  }
  for (const d of ctx.status.destinations) {
    if (d.error) {
      out.push({
        text: `The destination "${d.name}" cannot be reached: ${d.error}`,
        link: manage ? { href: '/backup', label: 'Destinations' } : null,
      });
    }
  }
  const enc = ctx.status.encryption;
  if (enc.recipients === 0 && !enc.passphrase && !ctx.status.source.encrypted) {
    out.push({
      text: 'Backups are not encrypted: anyone who gets a copy can read your data.',
      link: manage ? { href: '/auto#encryption', label: 'Encryption settings' } : null,
    });
  }
  return out;
}

function lastBackupLine(ctx: PageContext): Html {
  const last = ctx.status.lastBackup;
  if (!last) return html`<span class="muted">No backup yet</span>`;
  const where = ctx.lastCopies.length > 0 ? ctx.lastCopies.join(', ') : last.destination;
  const job = ctx.lastJob;
  const result =
    job?.result === 'failed'
      ? html`<span class="badge bad">last attempt failed</span>`
      : job?.result === 'partial'
        ? html`<span class="badge warn">partial</span>`
        : html`<span class="badge ok">OK</span>`;
  return html`<time datetime="${last.createdAt}">${when(last.createdAt, ctx.timeZone)}</time>
    <span class="muted">(${ago(last.ageMs)})</span> · ${where} · ${result}`;
}

function header(ctx: PageContext): Html {
  const warnings = headerWarnings(ctx);
  return html`<header class="top">
    <div class="bar">
      <a class="brand" href="/status">Backup center</a>
      <span class="register" title="Register id ${ctx.status.register.id}"
        >${ctx.status.register.name}</span
      >
      <form method="post" action="/logout" class="signout">
        ${csrfField(ctx.csrf)}<span class="user">${ctx.user}</span>
        <button type="submit" class="link">Sign out</button>
      </form>
    </div>
    <div class="summary">
      <div><span class="label">Last backup</span> ${lastBackupLine(ctx)}</div>
      <div><span class="label">Data</span> ${volume(ctx)}</div>
    </div>
    ${
      warnings.length > 0
        ? html`<ul class="warnings" aria-label="Warnings">
            ${warnings.map(
              (w) =>
                html`<li>
                  ${w.text}${w.link ? html` <a href="${w.link.href}">${w.link.label}</a>` : ''}
                </li>`,
            )}
          </ul>`
        : ''
    }
  </header>`;
}

function nav(ctx: PageContext, current: Tab): Html {
  return html`<nav class="tabs" aria-label="Backup center">
    ${tabsFor(ctx.rights).map(
      (t) =>
        html`<a href="/${t}" ${t === current ? html` aria-current="page"` : ''}
          >${TAB_LABELS[t]}</a
        >`,
    )}
  </nav>`;
}

function flash(ctx: PageContext): Html {
  if (!ctx.flash) return html``;
  return html`<p
    class="flash ${ctx.flash.kind}"
    role="${ctx.flash.kind === 'error' ? 'alert' : 'status'}"
  >
    ${ctx.flash.text}
  </p>`;
}

/** A whole tab page: header, tabs, flash, then the tab's own content. */
export function page(ctx: PageContext, tab: Tab, content: Html): Html {
  const running = ctx.running ? html` data-job="${ctx.running.id}"` : html``;
  return documentShell(
    `${TAB_LABELS[tab]} · Backup center · ${ctx.status.register.name}`,
    html`${header(ctx)} ${nav(ctx, tab)}
      <main id="main" data-tab="${tab}" ${running}>${flash(ctx)} ${content}</main>`,
  );
}

/** The live progress bar: filled by the server's state, then moved by page.js over SSE. */
export function progressBar(job: PageContext['running'], label: string): Html {
  const pct = job && job.total > 0 ? Math.min(100, Math.round((job.done / job.total) * 100)) : 0;
  return html`<div class="progress" data-progress${job ? html` data-job="${job.id}"` : ''}>
    <div class="progress-label">
      <span data-phase>${job ? phaseLabel(job.phase) : label}</span>
      <span data-detail
        >${job && job.total > 0 ? `${bytes(job.done)} of ${bytes(job.total)}` : ''}</span
      >
      <span data-eta class="muted"></span>
    </div>
    <progress max="100" value="${pct}" aria-label="${label}">${pct} %</progress>
  </div>`;
}

export const PHASES: Record<string, string> = {
  snapshot: 'Taking a snapshot of the database',
  archive: 'Writing the archive',
  read: 'Reading the archive',
  download: 'Downloading',
  check: 'Checking the fingerprint and the contents',
  safety: 'Taking a safety backup',
  apply: 'Applying the restore',
};

export function phaseLabel(phase: string): string {
  return PHASES[phase] ?? phase;
}
