// The schedule's fiscal archives in the page's words, shared by the Auto and
// Fiscal tabs: how often, what is due or comes next, a pending retry, and
// how the last scheduled run ended.

import { html, type Html } from '../html.js';
import { when } from '../format.js';
import type { ScheduledFiscalInfo } from '../../index.js';

/** "every month" / "every year". */
export function fiscalEveryWords(every: ScheduledFiscalInfo['every']): string {
  return every === 'monthly' ? 'every month' : 'every year';
}

function list(periods: string[]): string {
  return periods.length <= 2
    ? periods.join(' and ')
    : `${periods.slice(0, -1).join(', ')} and ${periods.at(-1)}`;
}

/** What is due now (and a pending retry), else the next period and the day it becomes due. */
export function fiscalDueWords(f: ScheduledFiscalInfo, timeZone: string): Html {
  if (f.due.length > 0) {
    const due =
      f.due.length === 1
        ? `The archive of ${f.due[0]} is due now.`
        : `The archives of ${list(f.due)} are due now.`;
    return html`<p data-fiscal-due>
      ${due}
      ${f.retryAt ? html`<span class="warn-text">The last try failed; the next one is after ${when(f.retryAt, timeZone)}.</span>` : ''}
    </p>`;
  }
  return f.next ? html`<p data-fiscal-due>Next: ${f.next.period}, on ${f.next.dueOn}.</p>` : html``;
}

/** How the last scheduled run of fiscal archives ended. */
export function fiscalLastWords(f: ScheduledFiscalInfo, timeZone: string): Html {
  const j = f.last;
  if (!j) return html`<p class="muted small">No archive made by the schedule yet.</p>`;
  const at = when(j.startedAt, timeZone);
  const period = j.detail ? ` of ${j.detail}` : '';
  switch (j.result) {
    case 'ok':
      return html`<p class="small">
        <span class="badge ok">made</span> Last run ${at}: the archive${period} was written.
      </p>`;
    case 'partial':
      return html`<p class="small">
        <span class="badge warn">partly</span> Last run ${at}: the archive${period} was written, but
        not to every destination.
      </p>`;
    case 'failed':
      return html`<p class="small">
        <span class="badge bad">failed</span> Last run ${at}:
        ${j.errorMessage ?? j.errorCode ?? 'unknown error'}
      </p>`;
    default:
      return html`<p class="small">Running now (started ${at}).</p>`;
  }
}
