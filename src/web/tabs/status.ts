// Status: what is protected, the last backup, the fiscal audit, the next
// scheduled run, the last passed test restore, backups per destination.

import { html, type Html } from '../html.js';
import { ago, bytes, count, when } from '../format.js';
import type { PageContext } from '../model.js';

function row(label: string, value: Html | string): Html {
  return html`<div class="row">
    <dt>${label}</dt>
    <dd>${value}</dd>
  </div>`;
}

export function statusTab(ctx: PageContext): Html {
  const s = ctx.status;
  const tz = ctx.timeZone;
  const last = s.lastBackup;
  const fiscal = s.fiscal;
  const fiscalText: Html = !fiscal
    ? html`<span class="muted">Not available for this app</span>`
    : fiscal.error
      ? html`<span class="badge bad">Not checked</span> ${fiscal.error.message}`
      : fiscal.ok
        ? html`<span class="badge ok">Passed</span>
            ${fiscal.records !== null ? count(fiscal.records, 'record') : ''}${fiscal.lastArchive ? ` · last fiscal archive ${fiscal.lastArchive}` : ''}`
        : html`<span class="badge bad">Problems found</span>
            <ul class="findings">
              ${fiscal.findings.map((f) => html`<li>${f}</li>`)}
            </ul>`;
  return html`<section class="cards">
      <article class="card">
        <h2>Last backup</h2>
        ${
          last
            ? html`<p class="big">${when(last.createdAt, tz)}</p>
                <p class="muted">
                  ${ago(last.ageMs)} · ${last.origin} · ${bytes(last.size)} ·
                  ${last.encrypted ? 'encrypted' : 'not encrypted'}
                </p>
                ${last.note ? html`<p>“${last.note}”</p>` : ''}`
            : html`<p class="big">None yet</p>`
        }
        ${
          s.lastFailure
            ? html`<p class="error-text">
                Last failure ${when(s.lastFailure.startedAt, tz)}:
                ${s.lastFailure.errorMessage ?? s.lastFailure.errorCode ?? 'unknown error'}
              </p>`
            : ''
        }
      </article>
      <article class="card">
        <h2>Your data</h2>
        <dl class="facts">
          ${s.source.headline ? row(capital(s.source.headline.label), s.source.headline.count.toLocaleString('en-US')) : ''}
          ${s.source.files ? row(capital(s.source.files.label), `${s.source.files.count.toLocaleString('en-US')} (${bytes(s.source.files.bytes)})`) : ''}
          ${row('Database', `${bytes(s.source.databaseBytes)}${s.source.encrypted ? ', encrypted' : ''}`)}
        </dl>
      </article>
      <article class="card">
        <h2>Fiscal audit</h2>
        <p>${fiscalText}</p>
      </article>
      <article class="card">
        <h2>Schedule</h2>
        <dl class="facts">
          ${row('Automatic backups', s.schedule.backup ?? 'off')}
          ${row('Next backup', s.schedule.nextBackup ? when(s.schedule.nextBackup, tz) : '—')}
          ${row('On close', s.schedule.onClose ? 'yes' : 'no')}
          ${s.schedule.fiscal ? row('Fiscal archives', fiscalNext(ctx)) : ''}
          ${row('Test restore', s.schedule.verify ?? 'off')}
          ${row(
            'Last passed test restore',
            s.lastTestRestore
              ? `${when(s.lastTestRestore.at, tz)}${s.lastTestRestore.backupId ? ` (${s.lastTestRestore.backupId})` : ''}`
              : 'never',
          )}
        </dl>
      </article>
    </section>
    <section>
      <h2>Destinations</h2>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Backups</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          ${s.destinations.map(
            (d) =>
              html`<tr>
                <td>
                  <strong>${d.name}</strong>
                  <div class="muted small">${d.location}</div>
                </td>
                <td>${kindLabel(d.kind)}</td>
                <td data-label="Backups">${d.backups ?? '—'}</td>
                <td>
                  ${d.error ? html`<span class="badge bad">unavailable</span> <span class="small">${d.error}</span>` : html`<span class="badge ok">ready</span>`}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>`;
}

/** "every month · next 2026-12, on 2027-01-01", or the period due now. */
function fiscalNext(ctx: PageContext): string {
  const s = ctx.status.schedule;
  const every = s.fiscal === 'monthly' ? 'every month' : 'every year';
  const next = s.nextFiscalArchive;
  if (!next) return every;
  const today = when(ctx.now, ctx.timeZone).slice(0, 10);
  return next.dueOn <= today
    ? `${every} · ${next.period} due now`
    : `${every} · next ${next.period}, on ${next.dueOn}`;
}

export function kindLabel(kind: string): string {
  return kind === 's3'
    ? 'cloud'
    : kind === 'external'
      ? 'external folder'
      : kind === 'local'
        ? 'local storage'
        : kind;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
