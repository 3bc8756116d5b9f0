// Cloud: space used against the quota and the retention per cloud
// destination, this register's cloud backups with download and "download
// and restore", and the fleet: one line per register in the bucket.

import { html, type Html } from '../html.js';
import { bytes, when } from '../format.js';
import { postForm } from '../layout.js';
import type { CloudTabData, PageContext } from '../model.js';

function usage(u: CloudTabData['usage'][number]): Html {
  const pct = u.percent ?? 0;
  return html`<article class="card">
    <h3>${u.name}</h3>
    <p class="muted small">${u.location}</p>
    ${
      u.error
        ? html`<p class="error-text">${u.error.message}</p>`
        : html`<p class="big">
              ${bytes(u.usedBytes)}
              <span class="muted"
                >of ${u.quotaBytes !== null ? bytes(u.quotaBytes) : 'no quota'}</span
              >
            </p>
            ${u.quotaBytes !== null ? html`<progress max="100" value="${pct}" class="${pct >= 80 ? 'full' : ''}" aria-label="Space used on ${u.name}">${pct} %</progress>` : ''}
            <p class="small">
              ${u.ownBackups ?? 0} of this register's backups · retention ${u.retention}
            </p>
            ${u.warning ? html`<p class="warn-text">${u.warning.message} Lower the retention in <a href="/auto">Auto</a> or take a bigger plan.</p>` : ''}`
    }
  </article>`;
}

export function cloudTab(ctx: PageContext, data: CloudTabData): Html {
  if (data.usage.length === 0) {
    return html`<section class="panel">
      <h2>Cloud</h2>
      <p>
        No cloud destination is set up. Add one on the register with the command line; its backups
        then show here.
      </p>
    </section>`;
  }
  const tz = ctx.timeZone;
  const newestFirst = [...data.backups].reverse();
  return html`<section class="cards">${data.usage.map(usage)}</section>
    ${data.unavailable.map((u) => html`<p class="flash error">${u.destination}: ${u.message}</p>`)}
    <section class="panel">
      <h2>Cloud backups</h2>
      ${
        newestFirst.length === 0
          ? html`<p class="muted">No backup of this register in the cloud yet.</p>`
          : html`<div class="table-scroll">
              <table class="list">
                <thead>
                  <tr>
                    <th scope="col">Date</th>
                    <th scope="col">Size</th>
                    <th scope="col">Origin</th>
                    <th scope="col">App version</th>
                    <th scope="col">Encryption</th>
                    <th scope="col"><span class="sr-only">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  ${newestFirst.map(
                    (b) =>
                      html`<tr>
                        <td>
                          <strong>${when(b.createdAt, tz)}</strong>
                          <div class="muted small">
                            ${b.destination}${b.note ? ` · ${b.note}` : ''}
                          </div>
                        </td>
                        <td class="nowrap" data-label="Size">${bytes(b.size)}</td>
                        <td data-label="Origin">${b.origin}</td>
                        <td class="nowrap" data-label="App version">${b.appVersion ?? '—'}</td>
                        <td>
                          ${b.encrypted ? html`<span class="badge ok">encrypted</span>` : html`<span class="badge warn">not encrypted</span>`}
                        </td>
                        <td class="row-actions">
                          <a
                            class="button"
                            href="/api/backups/${encodeURIComponent(b.id)}/download?from=${encodeURIComponent(b.destination)}"
                            download
                            >Download</a
                          >
                          ${postForm(ctx, '/restore/start', html`<input type="hidden" name="backup" value="${b.destination}|${b.id}" /><button type="submit">Download and restore</button>`, 'inline')}
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }
    </section>
    <section class="panel">
      <h2>Registers in the cloud</h2>
      ${
        data.fleet.length === 0
          ? html`<p class="muted">None.</p>`
          : html`<div class="table-scroll">
              <table class="list">
                <thead>
                  <tr>
                    <th scope="col">Register</th>
                    <th scope="col">Backups</th>
                    <th scope="col">Space</th>
                    <th scope="col">Newest</th>
                  </tr>
                </thead>
                <tbody>
                  ${data.fleet.map(
                    (
                      r,
                    ) => html`<tr${r.registerId === data.ownRegister ? html` class="own"` : ''}><td><strong>${r.registerName}</strong>${r.registerId === data.ownRegister ? html` <span class="badge">this register</span>` : ''}<div class="muted small">${r.registerId}</div></td>
      <td>${r.backups}</td><td>${bytes(r.bytes)}</td><td>${when(r.newest, tz)}</td></tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }
    </section>`;
}
