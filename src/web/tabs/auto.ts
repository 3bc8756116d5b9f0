// Auto: the schedule of automatic backups and test restores, where they go,
// retention per destination, alerts with a test button, and the encryption
// settings (a key pair whose recovery key is shown once, or a recipient).

import { html, type Html } from '../html.js';
import { postForm } from '../layout.js';
import type { AutoTabData, PageContext } from '../model.js';
import type { RetentionPolicy, ScheduleInfo } from '../../index.js';
import { fiscalDueWords, fiscalLastWords } from './fiscal-schedule.js';
import { kindLabel } from './status.js';

const DAYS: [string, string][] = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
];

type Job = ScheduleInfo['backup'];

/** The frequency, time, day and cron fields of one scheduled job. */
function specFields(prefix: string, job: Job, offLabel: string): Html {
  const spec = job?.spec ?? null;
  const every = spec?.every ?? 'off';
  const at = spec && spec.every !== 'cron' ? spec.at : '02:30';
  const day = spec?.every === 'week' ? spec.day : 'sun';
  const cron = spec?.every === 'cron' ? spec.cron : '';
  const opt = (v: string, label: string) =>
    html`<option value="${v}" ${every === v ? html` selected` : ''}>${label}</option>`;
  return html`<div class="grid-fields">
      <div>
        <label for="${prefix}-every">Frequency</label>
        <select id="${prefix}-every" name="${prefix}Every" data-spec="${prefix}">
          ${opt('off', offLabel)}${opt('day', 'Every day')}${opt('week', 'Every week')}${opt('cron', 'Cron expression')}
        </select>
      </div>
      <div data-show="${prefix}:day,week">
        <label for="${prefix}-at">At</label>
        <input type="time" id="${prefix}-at" name="${prefix}At" value="${at}" />
      </div>
      <div data-show="${prefix}:week">
        <label for="${prefix}-day">Day</label>
        <select id="${prefix}-day" name="${prefix}Day">
          ${DAYS.map(([v, l]) => html`<option value="${v}" ${day === v ? html` selected` : ''}>${l}</option>`)}
        </select>
      </div>
      <div data-show="${prefix}:cron">
        <label for="${prefix}-cron">Cron</label>
        <input
          type="text"
          id="${prefix}-cron"
          name="${prefix}Cron"
          value="${cron}"
          placeholder="0 */6 * * *"
          spellcheck="false"
        />
      </div>
    </div>
    ${job ? html`<p class="muted small">Now: ${job.describe}; next ${job.nextLocal}.</p>` : ''}`;
}

function retentionRow(name: string, p: RetentionPolicy, own: boolean): Html {
  const n = (key: keyof RetentionPolicy, label: string) =>
    html`<td>
      <label class="sr-only" for="r-${name}-${key}">${label} for ${name}</label
      ><input
        type="number"
        min="0"
        max="999"
        id="r-${name}-${key}"
        name="${name}.${key}"
        value="${p[key]}"
        class="num"
      />
    </td>`;
  return html`<tr>
    <th scope="row">${name}${own ? '' : html`<div class="muted small">general rule</div>`}</th>
    ${n('daily', 'Daily')}${n('weekly', 'Weekly')}${n('monthly', 'Monthly')}${n('yearly', 'Yearly')}
  </tr>`;
}

function encryption(ctx: PageContext, data: AutoTabData): Html {
  const e = data.encryption;
  const state =
    e.recipients.length > 0
      ? html`<span class="badge ok">encrypted</span> to
          ${e.recipients.length === 1 ? 'one key' : `${e.recipients.length} keys`}:
          <code class="wrap">${e.recipients.join(', ')}</code>`
      : e.passphrase
        ? html`<span class="badge ok">encrypted</span> with a passphrase`
        : html`<span class="badge bad">not encrypted</span>`;
  const k = data.newKey;
  const shown = k
    ? html`<div class="recovery" role="alert">
        <h3>Your recovery key</h3>
        <p>
          <strong>This is the only time it is shown.</strong> Without it, encrypted backups can
          never be opened: a lost key means lost backups. Download it or print it, and keep it
          somewhere safe, away from the register.
        </p>
        <pre class="key" id="recovery-key">${k.identity}</pre>
        <p class="muted small">
          Public key (safe to share): <code class="wrap">${k.recipient}</code>
        </p>
        <div class="actions">
          <a class="button primary" href="${k.downloadUrl}" download="coffre-recovery-key.txt"
            >Download the key</a
          >
          <button type="button" data-print hidden>Print</button>
        </div>
      </div>`
    : html``;
  return html`<section class="panel" id="encryption">
    <h2>Encryption</h2>
    <p>${state}</p>
    ${shown}
    <p class="warn-text">Without the key, an encrypted backup cannot be opened by anyone.</p>
    <div class="two">
      ${postForm(
        ctx,
        '/auto/encryption/new-key',
        html`<h3>Make a new key pair</h3>
          <p class="muted small">
            Backups are encrypted to a new public key; the secret key is shown once, for you to
            keep.
          </p>
          <label class="choice" for="ack-lost"
            ><input type="checkbox" id="ack-lost" name="ack" value="yes" required /><span
              >I understand that a lost key means lost backups.</span
            ></label
          >
          <div class="actions">
            <button type="submit" class="primary">Make a key pair</button>
          </div>`,
        'stack',
      )}
      ${postForm(
        ctx,
        '/auto/encryption/recipient',
        html`<h3>Or use a key you already have</h3>
          <label for="recipient">Public key (age1…)</label>
          <input
            type="text"
            id="recipient"
            name="recipient"
            required
            spellcheck="false"
            autocomplete="off"
            placeholder="age1…"
          />
          <div class="actions"><button type="submit">Use this key</button></div>`,
        'stack',
      )}
    </div>
    <p class="muted small">
      A passphrase file is set on the register itself, with the command line.
    </p>
  </section>`;
}

/** How often the schedule makes fiscal archives, what is due or next, and the last run. */
function fiscalFields(data: AutoTabData): Html {
  if (!data.fiscalAvailable) return html``;
  const f = data.schedule.fiscal;
  const every = f?.every ?? 'off';
  const opt = (v: string, label: string) =>
    html`<option value="${v}" ${every === v ? html` selected` : ''}>${label}</option>`;
  return html`<h3 id="fiscal">Fiscal archives</h3>
    <p class="muted small">
      A signed archive of each closed month or year, kept six years, like the ones exported on the
      <a href="/fiscal">Fiscal tab</a>. Periods that ended before you turn this on are not made:
      export them there.
    </p>
    <div class="grid-fields">
      <div>
        <label for="fiscal-every">Frequency</label>
        <select id="fiscal-every" name="fiscalEvery">
          ${opt('off', 'Off')}${opt('monthly', 'Every month')}${opt('yearly', 'Every year')}
        </select>
      </div>
    </div>
    ${f ? html`<div class="fiscal-state">${fiscalDueWords(f, data.schedule.timeZone)}${fiscalLastWords(f, data.schedule.timeZone)}</div>` : ''}`;
}

export function autoTab(ctx: PageContext, data: AutoTabData): Html {
  const s = data.schedule;
  const chosen = s.destinations;
  return html`${
      data.unencryptedCloud.length > 0
        ? html`<p class="flash error" role="alert">
            Backups sent to ${data.unencryptedCloud.join(', ')} would not be encrypted.
            <a href="#encryption">Open the encryption settings</a>
          </p>`
        : ''
    }
    <section class="panel">
      <h2>Automatic backups</h2>
      ${postForm(
        ctx,
        '/auto/schedule',
        html`${specFields('backup', s.backup, 'Off')}
          <label class="choice" for="on-close"
            ><input
              type="checkbox"
              id="on-close"
              name="onClose"
              value="yes"
              ${s.onClose ? html` checked` : ''}
            /><span>Also back up when the app closes</span></label
          >
          <fieldset>
            <legend>Destinations of automatic backups</legend>
            <div class="choices">
              ${data.destinations.map(
                (d) =>
                  html`<label class="choice" for="sd-${d.name}"
                    ><input
                      type="checkbox"
                      name="to.${d.name}"
                      value="yes"
                      id="sd-${d.name}"
                      ${chosen.includes(d.name) ? html` checked` : ''}
                    /><span
                      ><strong>${d.name}</strong>
                      <span class="muted">${kindLabel(d.kind)}</span></span
                    ></label
                  >`,
              )}
            </div>
            <p class="muted small">None ticked: the default destinations.</p>
          </fieldset>
          <h3>Test restore</h3>
          <p class="muted small">
            The newest backup is restored into a scratch folder and checked.
          </p>
          ${specFields('verify', s.verify, 'Never')} ${fiscalFields(data)}
          <div class="actions">
            <button type="submit" class="primary">Save the schedule</button>
          </div>`,
        'stack',
      )}
      <p class="muted small">Times are the register's (${s.timeZone}).</p>
    </section>
    <section class="panel">
      <h2>Retention</h2>
      <p class="muted small">
        How many backups each destination keeps: the newest of each day, week, month and year. The
        newest good backup is never deleted.
      </p>
      ${postForm(
        ctx,
        '/auto/retention',
        html`<div class="table-scroll">
            <table class="list retention">
              <thead>
                <tr>
                  <th scope="col">Destination</th>
                  <th scope="col">Daily</th>
                  <th scope="col">Weekly</th>
                  <th scope="col">Monthly</th>
                  <th scope="col">Yearly</th>
                </tr>
              </thead>
              <tbody>
                ${data.destinations.map((d) =>
                  retentionRow(
                    d.name,
                    data.retentionByDestination[d.name] ?? data.retention,
                    d.name in data.retentionByDestination,
                  ),
                )}
              </tbody>
            </table>
          </div>
          <div class="actions"><button type="submit">Save the retention</button></div>`,
      )}
    </section>
    <section class="panel">
      <h2>Alerts</h2>
      <p class="muted small">Someone hears about a failed or stale backup.</p>
      ${postForm(
        ctx,
        '/auto/alerts',
        html`<label for="webhook">Webhook URL</label>
          <input
            type="url"
            id="webhook"
            name="webhook"
            value="${data.alerts.webhook ?? ''}"
            placeholder="https://…"
          />
          <label for="stale">Warn when the newest backup is older than (hours)</label>
          <input
            type="number"
            id="stale"
            name="staleAfterHours"
            min="1"
            value="${data.alerts.staleAfterHours ?? ''}"
            class="num"
            aria-describedby="stale-help"
          />
          <p id="stale-help" class="muted small">
            Empty: from the schedule (a day and 2 hours for a daily one).
          </p>
          ${data.alerts.command ? html`<p class="muted small">Alert command: <code>${data.alerts.command}</code> (set on the register).</p>` : ''}
          <div class="actions">
            <button type="submit">Save the alerts</button>
            <button type="submit" formaction="/auto/alerts/test" formnovalidate>
              Send a test alert
            </button>
          </div>`,
        'stack narrow',
      )}
    </section>
    ${encryption(ctx, data)}`;
}
