// Restore: a wizard. Pick an archive (local, external or cloud storage),
// give the key or passphrase if it is encrypted, choose the sections, read
// the plan (what is replaced, what is lost, table by table), confirm with a
// typed word and the password, follow the phases, and undo if needed.

import { describeLoss, type RestorePlan } from '../../index.js';
import { html, type Html } from '../html.js';
import { bytes, count, when } from '../format.js';
import { postForm, progressBar } from '../layout.js';
import type { PageContext, RestoreDraft, RestoreTabData } from '../model.js';

/** The word typed to confirm a restore. */
export const CONFIRM_WORD = 'RESTORE';

const STEPS: { key: RestoreDraft['step'] | 'pick'; label: string }[] = [
  { key: 'pick', label: 'Archive' },
  { key: 'key', label: 'Key' },
  { key: 'sections', label: 'Sections' },
  { key: 'confirm', label: 'Plan and confirm' },
  { key: 'running', label: 'Progress' },
  { key: 'done', label: 'Result' },
];

function stepper(current: RestoreDraft['step'] | 'pick'): Html {
  const at = STEPS.findIndex((s) => s.key === current);
  return html`<ol class="steps">
    ${STEPS.map(
      (s, i) =>
        html`<li
          class="${i < at ? 'done' : i === at ? 'now' : ''}"
          ${i === at ? html` aria-current="step"` : ''}
        >
          ${s.label}
        </li>`,
    )}
  </ol>`;
}

const PREFERRED: Record<string, number> = { local: 0, external: 1, s3: 2 };

/** One line per backup, newest first: read from the nearest copy (local, then external, then cloud). */
function copiesOf(
  data: RestoreTabData,
): { b: RestoreTabData['backups'][number]; where: string[] }[] {
  const by = new Map<string, { b: RestoreTabData['backups'][number]; where: string[] }>();
  const rank = (d: string) => PREFERRED[data.kinds[d] ?? ''] ?? 3;
  for (const b of data.backups) {
    const g = by.get(b.id);
    if (!g) by.set(b.id, { b, where: [b.destination] });
    else {
      g.where.push(b.destination);
      if (rank(b.destination) < rank(g.b.destination)) g.b = b;
    }
  }
  return [...by.values()].reverse();
}

function pick(ctx: PageContext, data: RestoreTabData): Html {
  const tz = ctx.timeZone;
  const newestFirst = copiesOf(data);
  const list =
    newestFirst.length === 0
      ? html`<p class="muted">No backup found.</p>`
      : postForm(
          ctx,
          '/restore/start',
          html`<fieldset>
              <legend>Choose the archive</legend>
              <div class="table-scroll">
                <table class="list pick">
                  <thead>
                    <tr>
                      <th scope="col"><span class="sr-only">Choose</span></th>
                      <th scope="col">Date</th>
                      <th scope="col">Where</th>
                      <th scope="col">Origin</th>
                      <th scope="col">Size</th>
                      <th scope="col">Encrypted</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${newestFirst.slice(0, 200).map(({ b, where }, i) => {
                      const id = `pick-${i}`;
                      return html`<tr>
                        <td>
                          <input
                            type="radio"
                            name="backup"
                            id="${id}"
                            value="${b.destination}|${b.id}"
                            ${i === 0 ? html` checked` : ''}
                          />
                        </td>
                        <td>
                          <label for="${id}">${when(b.createdAt, tz)}</label
                          >${b.note ? html`<div class="muted small">${b.note}</div>` : ''}
                        </td>
                        <td data-label="Where">${where.join(', ')}</td>
                        <td data-label="Origin">${b.origin}</td>
                        <td data-label="Size">${bytes(b.size)}</td>
                        <td data-label="Encrypted">${b.encrypted ? 'yes' : 'no'}</td>
                      </tr>`;
                    })}
                  </tbody>
                </table>
              </div>
            </fieldset>
            <div class="actions"><button type="submit" class="primary">Next</button></div>`,
        );
  return html`${stepper('pick')}
    ${
      data.undoable
        ? html`<section class="panel">
            <h2>Undo the last restore</h2>
            <p>A safety backup (${data.undoable}) was taken before the last restore.</p>
            ${undoForm(ctx)}
          </section>`
        : ''
    }
    <section class="panel">
      ${list}
      ${data.unavailable.map((u) => html`<p class="warn-text">${u.destination}: ${u.message}</p>`)}
    </section> `;
}

function undoForm(ctx: PageContext): Html {
  return postForm(
    ctx,
    '/restore/undo',
    html`<p>
        The data goes back to how it was before that restore: whatever was recorded since is lost.
      </p>
      ${confirmFields('undo')}
      <div class="actions"><button type="submit" class="danger">Undo this restore</button></div>`,
    'stack narrow',
  );
}

/** The typed word and the password again, which a restore and its undo both ask for. */
function confirmFields(prefix: string): Html {
  return html`<label for="${prefix}-word">Type <strong>${CONFIRM_WORD}</strong> to confirm</label>
    <input
      type="text"
      id="${prefix}-word"
      name="confirm"
      autocomplete="off"
      autocapitalize="characters"
      required
      pattern="${CONFIRM_WORD}"
    />
    <label for="${prefix}-password">Your password</label>
    <input
      type="password"
      id="${prefix}-password"
      name="password"
      autocomplete="current-password"
      required
    />`;
}

function chosen(d: RestoreDraft, tz: string): Html {
  const b = d.backup;
  return html`<p class="chosen">
    Archive <strong>${b.ref}</strong>${b.uploaded ? ' (uploaded)' : b.from ? ` from ${b.from}` : ''}
    · ${when(b.createdAt, tz)} · ${b.origin} · ${bytes(b.size)}${b.encrypted ? ' · encrypted' : ''}
  </p>`;
}

function keyStep(ctx: PageContext, d: RestoreDraft): Html {
  return html`<section class="panel">
    <h2>This archive is encrypted</h2>
    <p>
      Give the secret key (a key file or its text) or the passphrase. Without them, the archive
      cannot be opened.
    </p>
    <form method="post" action="/restore/${d.id}/key" class="stack">
      <input type="hidden" name="_csrf" value="${ctx.csrf}" />
      <div data-key-file hidden>
        <label for="key-file">Key file</label>
        <input type="file" id="key-file" accept=".txt,.key,text/plain" />
      </div>
      <label for="key-text">Or paste the key</label>
      <textarea
        id="key-text"
        name="key"
        rows="3"
        spellcheck="false"
        autocomplete="off"
        placeholder="AGE-SECRET-KEY-1…"
      ></textarea>
      <label for="passphrase">Or the passphrase</label>
      <input type="password" id="passphrase" name="passphrase" autocomplete="off" />
      <div class="actions"><button type="submit" class="primary">Next</button></div>
    </form>
  </section>`;
}

function sectionsStep(ctx: PageContext, d: RestoreDraft): Html {
  const all = d.chosen.length === 0;
  return html`<section class="panel">
    <h2>What to restore</h2>
    ${postForm(
      ctx,
      `/restore/${d.id}/sections`,
      html`<fieldset>
          <legend>Sections</legend>
          <label class="choice" for="sec-all"
            ><input
              type="radio"
              name="scope"
              value="all"
              id="sec-all"
              ${all ? html` checked` : ''}
            />
            <span
              ><strong>Everything</strong> <span class="muted">a full restore</span></span
            ></label
          >
          <label class="choice" for="sec-some"
            ><input
              type="radio"
              name="scope"
              value="some"
              id="sec-some"
              ${all ? '' : html` checked`}
            />
            <span><strong>Only these sections:</strong></span></label
          >
          <div class="choices indent">
            ${d.available.map(
              (s) =>
                html`<label class="choice" for="sec-${s.name}"
                  ><input
                    type="checkbox"
                    name="section.${s.name}"
                    value="yes"
                    id="sec-${s.name}"
                    ${d.chosen.includes(s.name) ? html` checked` : ''}
                  />
                  <span>${s.label}</span></label
                >`,
            )}
          </div>
        </fieldset>
        <div class="actions"><button type="submit" class="primary">Show the plan</button></div>`,
      'stack',
    )}
  </section>`;
}

function planView(d: RestoreDraft): Html {
  const p = d.plan;
  if (!p) return html``;
  return html`<h3>What will be replaced</h3>
    <div class="table-scroll">
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Section</th>
            <th scope="col">Now</th>
            <th scope="col">In the backup</th>
          </tr>
        </thead>
        <tbody>
          ${p.sections.map(
            (s) =>
              html`<tr>
                  <th scope="row" colspan="3" class="section-row">${s.label}</th>
                </tr>
                ${s.tables.map(
                  (t) =>
                    html`<tr class="${t.now !== null && t.now > t.backup ? 'lose' : ''}">
                      <td>${t.name}</td>
                      <td>${t.now ?? '—'}</td>
                      <td>${t.backup}</td>
                    </tr>`,
                )}
                ${
                  s.files
                    ? html`<tr class="${s.files.now > s.files.backup ? 'lose' : ''}">
                        <td>files</td>
                        <td>${s.files.now}</td>
                        <td>${s.files.backup}</td>
                      </tr>`
                    : ''
                }
                ${
                  s.settings
                    ? html`<tr>
                        <td>settings file</td>
                        <td colspan="2">replaced</td>
                      </tr>`
                    : ''
                }`,
          )}
        </tbody>
      </table>
    </div>
    ${
      p.losses.length > 0
        ? html`<div class="result bad">
            <h3>What will be lost</h3>
            <ul>
              ${p.losses.map((l) => html`<li>${describeLoss(l)}</li>`)}
            </ul>
          </div>`
        : html`<p class="result ok">Nothing recorded after this backup will be lost.</p>`
    }
    ${p.notes.map((n) => html`<p class="warn-text">${n}</p>`)}`;
}

type Rewind = NonNullable<RestorePlan['fiscalRewind']>;

/** "5 receipts (#201–#205)", "1 closing", "2 technical events": what leaves the chain. */
function dropped(f: Rewind): string[] {
  const r = f.rewind.records;
  const [one, many] = f.rewind.label;
  const out: string[] = [];
  if (r.count > 0)
    out.push(
      `${count(r.count, one, many)}${r.fromSeq !== null && r.toSeq !== null ? (r.count === 1 ? ` (#${r.fromSeq})` : ` (#${r.fromSeq}–#${r.toSeq})`) : ''}`,
    );
  if (f.rewind.closings > 0) out.push(count(f.rewind.closings, 'closing'));
  if (f.rewind.events > 0) out.push(count(f.rewind.events, 'technical event'));
  return out;
}

/**
 * The restore takes fiscal records out of the register's chain: what leaves
 * it (the plan's sentence, in the shop's words), and why it is kept anyway.
 */
function rewindView(f: Rewind): Html {
  const sentence = f.message.charAt(0).toUpperCase() + f.message.slice(1);
  return html`<div class="result bad" data-fiscal-rewind>
    <h3>Fiscal records leave the chain</h3>
    <p>${sentence}</p>
    <p>
      The fiscal archive (signed, kept 6 years, listed on the Fiscal tab) is written before anything
      changes. To keep them in the chain, restore a newer backup, or only sections other than the
      ${f.rewind.label[1]}.
    </p>
  </div>`;
}

/** The second confirmation a fiscal rewind needs: the server checks it too. */
function rewindTick(f: Rewind): Html {
  const what = dropped(f).join(', ');
  return html`<label class="choice" for="fiscal-ok"
    ><input type="checkbox" id="fiscal-ok" name="fiscalRewind" value="yes" required /><span
      >I understand that this restore takes ${what} out of the fiscal chain, and that a fiscal
      archive of the dropped records is written first.</span
    ></label
  >`;
}

function confirmStep(ctx: PageContext, d: RestoreDraft): Html {
  const rewind = d.plan?.fiscalRewind ?? null;
  return html`<section class="panel">
    <h2>The plan</h2>
    ${planView(d)} ${rewind ? rewindView(rewind) : ''}
    <p>A safety backup is taken first, so this restore can be undone.</p>
    ${postForm(
      ctx,
      `/restore/${d.id}/confirm`,
      html`${rewind ? rewindTick(rewind) : ''} ${confirmFields('confirm')}
        <div class="actions">
          <button type="submit" class="danger">Restore now</button>
          <button type="submit" class="secondary" formaction="/restore/${d.id}/back" formnovalidate>
            Back
          </button>
        </div>`,
      'stack narrow',
    )}
  </section>`;
}

function runningStep(ctx: PageContext): Html {
  return html`<section class="panel live" aria-live="polite" data-await-end>
    <h2>Restoring</h2>
    ${progressBar(ctx.running, 'Restore')}
    <p class="muted">
      This page follows the restore; it shows the result when it ends.
      <a href="/restore">Refresh</a>
    </p>
  </section>`;
}

function doneStep(ctx: PageContext, d: RestoreDraft): Html {
  const r = d.result;
  if (!r) return html``;
  return html`<section class="panel">
    <div class="result ${r.applied ? 'ok' : 'warn'}" role="status">
      <h2>${r.applied ? 'Restore done' : 'Nothing was restored'}</h2>
      ${r.applied && r.safetyBackupId ? html`<p>Safety backup: ${r.safetyBackupId}</p>` : ''}
      ${
        r.fiscalArchive
          ? html`<p data-fiscal-archive>
              Fiscal archive written first: <strong>${r.fiscalArchive}</strong> (the fiscal records
              this restore took out of the chain, kept 6 years; the Fiscal tab lists it).
            </p>`
          : ''
      }
      ${r.restartApp ? html`<p><strong>Restart the app</strong> so that it sees the restored data.</p>` : ''}
    </div>
    ${
      r.applied && r.safetyBackupId
        ? html`<h3>Undo this restore</h3>
            ${undoForm(ctx)}`
        : ''
    }
    <p><a href="/restore">Start another restore</a></p>
  </section>`;
}

export function restoreTab(ctx: PageContext, data: RestoreTabData): Html {
  const d = data.draft;
  if (!d) return pick(ctx, data);
  const discard =
    d.step === 'running' || d.step === 'done'
      ? html``
      : postForm(
          ctx,
          `/restore/${d.id}/discard`,
          html`<button type="submit" class="link">Start over</button>`,
          'inline',
        );
  const error = d.error ? html`<p class="flash error" role="alert">${d.error}</p>` : html``;
  const body =
    d.step === 'key'
      ? keyStep(ctx, d)
      : d.step === 'sections'
        ? sectionsStep(ctx, d)
        : d.step === 'confirm'
          ? confirmStep(ctx, d)
          : d.step === 'running'
            ? runningStep(ctx)
            : doneStep(ctx, d);
  return html`${stepper(d.step)}${chosen(d, ctx.timeZone)}${discard}${error}${body}`;
}
