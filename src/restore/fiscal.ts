// A restore and the register's fiscal chain: what a restore would take out
// of it (the live rows beyond the backup's last numbers), and the second,
// explicit confirmation such a restore needs. The fiscal service finds the
// rows, words them and archives them; the restore service calls these in
// order: measure, confirm, archive, then change anything.

import { CoffreError } from '../core/errors.js';
import type { FiscalService } from '../fiscal/service.js';
import { openDatabase } from '../source/sqlite.js';
import type { RestorePlan } from './plan.js';

export type FiscalGuard = Pick<FiscalService, 'rewindOf' | 'archiveRewind'>;

/** What the restore of `staged` over `live` takes out of the chain (its tables only). */
export function measureRewind(
  guard: FiscalGuard,
  live: string,
  staged: string,
  key: string | null,
  tables: readonly string[],
): RestorePlan['fiscalRewind'] {
  const a = openDatabase(live, { key, readonly: true });
  try {
    const b = openDatabase(staged, { key, readonly: true });
    try {
      return guard.rewindOf(a, b, tables);
    } finally {
      b.close();
    }
  } finally {
    a.close();
  }
}

/**
 * The second confirmation: a restore that takes records out of the chain
 * applies only when the caller confirmed that too. No way to ask is a usage
 * error (nothing changed), with `details.fiscalRewind` for the hint.
 */
export async function confirmRewind(
  plan: RestorePlan,
  confirm: ((plan: RestorePlan) => boolean | Promise<boolean>) | undefined,
): Promise<boolean> {
  if (!plan.fiscalRewind) return true;
  if (!confirm) {
    throw new CoffreError(
      'USAGE',
      `Nothing was changed: this restore takes fiscal records out of the register's chain (${plan.fiscalRewind.message}) It needs a second, explicit confirmation of that.`,
      { details: { fiscalRewind: true } },
    );
  }
  return confirm(plan);
}
