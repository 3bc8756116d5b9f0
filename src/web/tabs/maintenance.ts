// Maintenance: the cleanup preview (keep or delete, and the rule that
// decided), applied after a confirmation; delete or verify one backup;
// remove leftovers of interrupted jobs; the job history and the journal.

import { html, type Html } from '../html.js';
import { bytes, when } from '../format.js';
import { postForm } from '../layout.js';
import type { MaintenanceTabData, PageContext } from '../model.js';

function cleanup(ctx: PageContext, data: MaintenanceTabData): Html {
  const plan = data.plan;
  const tz = ctx.timeZone;
  const deleting = plan.entries.filter((e) => !e.keep);
  const byDest = plan.policies.map((p) => ({
    ...p,
    entries: [...plan.entries.filter((e) => e.destination === p.destination)].reverse(),
  }));
  return html`<section class="panel" id="cleanup">
    <h2>Cleanup preview</h2>
    <p>
      ${deleting.length === 0 ? 'Retention keeps every backup: nothing to delete.' : `${deleting.length} backup${deleting.length === 1 ? '' : 's'} would be deleted.`}
    </p>
    ${plan.unavailable.map((u) => html`<p class="warn-text">${u.destination}: ${u.message}</p>`)}
    ${byDest.map(
      (d) => html`<details${d.entries.some((e) => !e.keep) ? html` open` : ''}>
    <summary><strong>${d.destination}</strong> · keeps ${d.describe} · ${d.entries.filter((e) => e.keep).length} kept, ${d.entries.filter((e) => !e.keep).length} to delete</summary>
    <div class="table-scroll"><table class="list compact">
      <thead><tr><th scope="col">Backup</th><th scope="col">Origin</th><th scope="col">Decision</th><th scope="col">Rule</th></tr></thead>
      <tbody>${d.entries.map(
        (e) =>
          html`<tr class="${e.keep ? '' : 'lose'}">
            <td>
              ${when(e.createdAt, tz)}
              <div class="muted small">${e.id}</div>
            </td>
            <td data-label="Origin">${e.origin}</td>
            <td>
              ${e.keep ? html`<span class="badge ok">keep</span>` : html`<span class="badge bad">delete</span>`}
            </td>
            <td class="small">${e.reasons.join('; ')}</td>
          </tr>`,
      )}</tbody></table></div>
  </details>`,
    )}
    ${postForm(
      ctx,
      '/maintenance/prune',
      html`<input type="hidden" name="expect" value="${deleting.length}" />
        <label class="choice" for="prune-ok"
          ><input type="checkbox" id="prune-ok" name="confirm" value="yes" required /><span
            >${deleting.length > 0 ? `Delete the ${deleting.length} backup${deleting.length === 1 ? '' : 's'} marked “delete” and remove leftovers of interrupted jobs` : 'Remove leftovers of interrupted jobs'}</span
          ></label
        >
        <div class="actions">
          <button type="submit" class="${deleting.length > 0 ? 'danger' : ''}">
            Apply the cleanup
          </button>
        </div>`,
      'stack',
    )}
  </section>`;
}

function oneBackup(ctx: PageContext, data: MaintenanceTabData): Html {
  const newestFirst = [...data.backups].reverse();
  const options = newestFirst
    .slice(0, 300)
    .map(
      (b) =>
        html`<option value="${b.destination}|${b.id}">
          ${when(b.createdAt, ctx.timeZone)} · ${b.destination} · ${b.origin} · ${bytes(b.size)}
        </option>`,
    );
  return html`<section class="panel">
    <h2>One backup</h2>
    ${
      data.verified
        ? html`<p class="result ${data.verified.ok ? 'ok' : 'bad'}" role="status">
            ${data.verified.ref}: ${data.verified.message}
          </p>`
        : ''
    }
    ${postForm(
      ctx,
      '/maintenance/verify',
      html`<label for="one-backup">Backup</label>
        <select id="one-backup" name="backup" required>
          ${options}
        </select>
        <label class="choice" for="deep"
          ><input type="checkbox" id="deep" name="deep" value="yes" /><span
            >Deep check: restore it into a scratch folder and check the database</span
          ></label
        >
        <div class="actions">
          <button type="submit">Verify</button>
          <button
            type="submit"
            class="danger"
            formaction="/maintenance/delete"
            data-confirm="Delete this backup?"
          >
            Delete…
          </button>
        </div>`,
      'stack',
    )}
  </section>`;
}

function history(ctx: PageContext, data: MaintenanceTabData): Html {
  return html`<section class="panel" id="history">
    <h2>Job history</h2>
    <div class="table-scroll">
      <table class="list compact">
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Job</th>
            <th scope="col">Result</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          ${data.history.map(
            (j) =>
              html`<tr>
                <td>${when(j.startedAt, ctx.timeZone)}</td>
                <td>${j.kind} <span class="muted small">${j.trigger}</span></td>
                <td>
                  <span
                    class="badge ${j.result === 'ok' ? 'ok' : j.result === 'running' ? '' : j.result === 'partial' ? 'warn' : 'bad'}"
                    >${j.result}</span
                  >
                </td>
                <td class="small">
                  ${j.backupId ?? ''}${j.destinations.length > 0 ? ` → ${j.destinations.join(', ')}` : ''}${j.errorMessage ? html`<div class="error-text">${j.errorMessage}</div>` : ''}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

function journal(ctx: PageContext, data: MaintenanceTabData): Html {
  const entries = [...data.journal].reverse().slice(0, 100);
  return html`<section class="panel" id="journal">
    <h2>Event journal</h2>
    <p class="muted small">Who did what, in a hash chain that shows any later change.</p>
    ${
      entries.length === 0
        ? html`<p class="muted">No event yet.</p>`
        : html`<div class="table-scroll">
            <table class="list compact">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                </tr>
              </thead>
              <tbody>
                ${entries.map(
                  (e) =>
                    html`<tr>
                      <td>${when(e.at, ctx.timeZone)}</td>
                      <td>${e.actor}</td>
                      <td>${e.action} <span class="muted small">${detail(e.detail)}</span></td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
  </section>`;
}

function detail(d: Record<string, unknown>): string {
  return Object.entries(d)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}: ${String(v as string)}`)
    .join(' · ');
}

export function maintenanceTab(ctx: PageContext, data: MaintenanceTabData): Html {
  return html`${cleanup(ctx, data)} ${oneBackup(ctx, data)}
  ${
    data.damaged.length > 0
      ? html`<section class="panel">
          <h2>Damaged archives</h2>
          <ul>
            ${data.damaged.map((d) => html`<li><strong>${d.destination}</strong> ${d.archive}: ${d.message}</li>`)}
          </ul>
        </section>`
      : ''
  }
  ${history(ctx, data)} ${journal(ctx, data)}`;
}
