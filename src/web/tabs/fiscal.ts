// Fiscal: the audit of the register's fiscal data (receipts chain, closings,
// event journal) and the fiscal archives of closed periods, with the export.

import { html, type Html } from '../html.js';
import { ago, bytes, when } from '../format.js';
import { postForm } from '../layout.js';
import type { FiscalTabData, PageContext } from '../model.js';
import { fiscalDueWords, fiscalEveryWords, fiscalLastWords } from './fiscal-schedule.js';

/** When the whole chain was last read, and what the Status tab's quick check reads meanwhile. */
function fullCheck(ctx: PageContext, data: FiscalTabData): Html {
  const label = data.audit?.records.label ?? 'records';
  const quick = `Between full checks, the Status tab reads only the ${label} recorded since.`;
  if (!data.fullAuditAt)
    return html`<p class="small warn-text" data-full-check>
      The whole chain of ${label} has never been checked from the first: run the audit.
    </p>`;
  if (data.fullAuditAt === data.audit?.checkedAt)
    return html`<p class="small" data-full-check>
      This audit read the whole chain, every one of the ${label} from the first. ${quick}
    </p>`;
  return html`<p class="small" data-full-check>
    The whole chain, every one of the ${label} from the first, was last checked
    ${ago(ctx.now.getTime() - Date.parse(data.fullAuditAt))}
    (${when(data.fullAuditAt, ctx.timeZone)}). ${quick}
  </p>`;
}

/** Whether the schedule makes fiscal archives, what comes next, and the last run. */
function automatic(ctx: PageContext, data: FiscalTabData): Html {
  const f = data.scheduled;
  const change = data.canManage
    ? html`<p class="small">
        <a href="/auto#fiscal">${f ? 'Change this' : 'Turn them on'} in the Auto tab</a>
      </p>`
    : '';
  return html`<section class="panel" id="automatic">
    <h2>Automatic fiscal archives</h2>
    ${
      f
        ? html`<p>
              <span class="badge ok">on</span> One archive ${fiscalEveryWords(f.every)}, made by the
              schedule once the period is over.
            </p>
            ${fiscalDueWords(f, ctx.timeZone)} ${fiscalLastWords(f, ctx.timeZone)}`
        : html`<p><span class="badge">off</span> Fiscal archives are made by hand, below.</p>`
    }
    ${change}
  </section>`;
}

function audit(ctx: PageContext, data: FiscalTabData): Html {
  if (data.auditError) return html`<p class="result bad">${data.auditError}</p>`;
  const a = data.audit;
  if (!a) return html`<p class="muted">No audit yet.</p>`;
  const part = (label: string, r: { count: number; broken: unknown } | null) =>
    r
      ? html`<div class="row">
          <dt>${label}</dt>
          <dd>
            ${r.count.toLocaleString('en-US')} ·
            ${r.broken ? html`<span class="badge bad">chain broken</span>` : html`<span class="badge ok">chain intact</span>`}
          </dd>
        </div>`
      : html``;
  return html`<div class="result ${a.ok ? 'ok' : 'bad'}" role="status">
      <h3>${a.ok ? 'The audit passed' : 'The audit found problems'}</h3>
      <p class="muted small">
        Checked ${when(a.checkedAt, ctx.timeZone)} on
        ${a.source === 'live' ? 'the live data' : a.source}
      </p>
    </div>
    <dl class="facts">
      ${part(a.records.label.charAt(0).toUpperCase() + a.records.label.slice(1), a.records)}
      ${part('Closings', a.closings)} ${part('Event journal', a.events)}
      ${
        a.archives
          ? html`<div class="row">
              <dt>Last fiscal archive</dt>
              <dd>${a.archives.last ?? 'none yet'}</dd>
            </div>`
          : ''
      }
    </dl>
    ${
      a.findings.length > 0
        ? html`<ul class="findings">
            ${a.findings.map((f) => html`<li>${f}</li>`)}
          </ul>`
        : ''
    }`;
}

export function fiscalTab(ctx: PageContext, data: FiscalTabData): Html {
  if (!data.available) {
    return html`<section class="panel">
      <h2>Fiscal</h2>
      <p>This app has no fiscal data to export: its profile declares no fiscal recipe.</p>
    </section>`;
  }
  const lastYear = String(ctx.now.getUTCFullYear() - 1);
  return html`<section class="panel">
      <h2>Fiscal audit</h2>
      ${audit(ctx, data)} ${fullCheck(ctx, data)}
      ${postForm(ctx, '/fiscal/audit', html`<button type="submit">Run the audit again</button>`, 'inline')}
    </section>
    ${automatic(ctx, data)}
    <section class="panel">
      <h2>Export a closed period</h2>
      <p class="muted">
        A fiscal archive holds one closed period (at most a year): the records as CSV, the audit and
        a signed list of fingerprints. It is kept six years whatever the retention.
      </p>
      ${postForm(
        ctx,
        '/fiscal/export',
        html`<label for="period">Period</label>
          <input
            type="text"
            id="period"
            name="period"
            required
            value="${lastYear}"
            inputmode="numeric"
            pattern="\\d{4}(-\\d{2})?"
            aria-describedby="period-help"
          />
          <p id="period-help" class="muted small">
            A year (${lastYear}) or a month (${lastYear}-12).
          </p>
          ${
            data.destinations.length > 1
              ? html`<fieldset>
                  <legend>Where</legend>
                  <div class="choices">
                    ${data.destinations.map(
                      (d, i) =>
                        html`<label class="choice" for="fd-${d}"
                          ><input
                            type="checkbox"
                            name="to.${d}"
                            value="yes"
                            id="fd-${d}"
                            ${i === 0 ? html` checked` : ''}
                          /><span>${d}</span></label
                        >`,
                    )}
                  </div>
                </fieldset>`
              : ''
          }
          <div class="actions"><button type="submit" class="primary">Export</button></div>`,
        'stack narrow',
      )}
    </section>
    <section class="panel">
      <h2>Fiscal archives</h2>
      ${
        data.archives.length === 0
          ? html`<p class="muted">No fiscal archive yet.</p>`
          : html`<div class="table-scroll">
              <table class="list">
                <thead>
                  <tr>
                    <th scope="col">Period</th>
                    <th scope="col">Records</th>
                    <th scope="col">Where</th>
                    <th scope="col">Size</th>
                    <th scope="col">Kept until</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.archives.map(
                    (a) =>
                      html`<tr>
                        <td>
                          <strong>${a.period.label}</strong>
                          <div class="muted small">${when(a.createdAt, ctx.timeZone)}</div>
                        </td>
                        <td data-label="Records">${a.records}</td>
                        <td>${a.destination}</td>
                        <td>${bytes(a.size)}${a.encrypted ? ' · encrypted' : ''}</td>
                        <td data-label="Kept until">${a.holdUntil.slice(0, 10)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }
    </section>`;
}
