// Backup: back up now to the chosen destinations with a note; a live
// progress bar with the phase, bytes and time left, and a Cancel button; the
// result names each destination that got the backup and each that did not.

import { html, type Html } from '../html.js';
import { bytes, duration } from '../format.js';
import { csrfField, postForm, progressBar } from '../layout.js';
import type { BackupOutcome, BackupTabData, PageContext } from '../model.js';
import { kindLabel } from './status.js';

function outcome(o: BackupOutcome): Html {
  if (o.cancelled)
    return html`<div class="result warn" role="status">
      <h2>Backup cancelled</h2>
      <p>Nothing was kept.</p>
    </div>`;
  if (o.error && o.ok.length === 0) {
    return html`<div class="result bad" role="alert">
      <h2>The backup failed</h2>
      <p>${o.error}</p>
      ${
        o.failed.length > 0
          ? html`<ul>
              ${o.failed.map((f) => html`<li><strong>${f.destination}</strong>: ${f.message}</li>`)}
            </ul>`
          : ''
      }
    </div>`;
  }
  const cls = o.failed.length > 0 ? 'warn' : 'ok';
  return html`<div class="result ${cls}" role="status">
    <h2>${o.failed.length > 0 ? 'Backup saved to some destinations' : 'Backup done'}</h2>
    <p>
      ${o.id ?? ''}${o.sizeBytes !== null ? ` · ${bytes(o.sizeBytes)}` : ''}${o.durationMs !== null ? ` · ${duration(o.durationMs)}` : ''}
    </p>
    <ul class="dest-results">
      ${o.ok.map((d) => html`<li><span class="badge ok">saved</span> ${d}</li>`)}
      ${o.failed.map((f) => html`<li><span class="badge bad">not saved</span> ${f.destination}: ${f.message}</li>`)}
    </ul>
  </div>`;
}

/** A cloud destination while backups are not encrypted: sent in clear, or refused. */
function unencryptedNote(allowed: boolean): Html {
  return allowed
    ? html`<span class="small warn-text"
        >Sent without encryption. <a href="/auto#encryption">Set up encryption</a></span
      >`
    : html`<span class="small warn-text"
        >Refused until backups are encrypted. <a href="/auto#encryption">Set up encryption</a></span
      >`;
}

export function backupTab(ctx: PageContext, data: BackupTabData): Html {
  const running = ctx.running;
  const form = postForm(
    ctx,
    '/backup',
    html`<fieldset>
        <legend>Destinations</legend>
        <div class="choices">
          ${data.destinations.map((d) => {
            const id = `to-${d.name}`;
            const off = d.error !== null;
            return html`<label class="choice${off ? ' off' : ''}" for="${id}">
              <input
                type="checkbox"
                id="${id}"
                name="to.${d.name}"
                value="yes"
                ${data.defaults.includes(d.name) && !off ? html` checked` : ''}${off ? html` disabled` : ''}
              />
              <span
                ><strong>${d.name}</strong>
                <span class="muted">${kindLabel(d.kind)}</span>
                ${off ? html`<span class="small error-text">${d.error?.message ?? ''}</span>` : ''}
                ${data.unencryptedCloud.includes(d.name) ? unencryptedNote(d.allowUnencrypted === true) : ''}</span
              >
            </label>`;
          })}
        </div>
      </fieldset>
      <label for="note">Note <span class="muted">(optional)</span></label>
      <input
        type="text"
        id="note"
        name="note"
        maxlength="200"
        placeholder="e.g. before the price update"
      />
      <div class="actions">
        <button type="submit" class="primary" ${running ? html` disabled` : ''}>Back up now</button>
      </div>`,
    'stack',
  );
  return html`<section class="panel">
      <h2>Back up now</h2>
      <p class="muted">
        A complete archive: database, ${ctx.status.source.files?.label ?? 'files'}, settings and
        their fingerprints.
      </p>
      ${form}
    </section>
    <section class="panel live${running ? '' : ' idle'}" id="live" aria-live="polite">
      <h2>Progress</h2>
      ${
        running
          ? html`<p class="muted">
              ${running.kind === 'backup' ? 'A backup' : `A ${running.kind}`} is running.
            </p>`
          : html`<p class="muted" data-idle>No job is running.</p>`
      }
      ${progressBar(running, 'Backup')}
      <form method="post" action="/jobs/cancel" class="cancel" ${running ? '' : html` hidden`}>
        ${csrfField(ctx.csrf)}
        <input type="hidden" name="job" value="${running?.id ?? ''}" data-job-field />
        <button type="submit" class="danger">Cancel</button>
      </form>
    </section>
    ${data.last ? html`<section class="panel" id="result">${outcome(data.last)}</section>` : ''}`;
}
