// The fiscal archive a restore writes before it takes records out of the
// chain: the live rows beyond the backup's last numbers, under the 6-year
// hold, beside the series of period archives.

import fsp from 'node:fs/promises';
import path from 'node:path';
import type { FiscalAudit } from '../core/fiscal/audit.js';
import type { FiscalRecipe } from '../core/fiscal/recipe.js';
import type { FiscalRewind } from '../core/fiscal/rewind.js';
import { archiveExtension, backupId } from '../core/manifest.js';
import { exportRows } from './archive.js';
import { addToIndex } from './made.js';
import { auditDatabase } from './read.js';
import { writeAndStore } from './store.js';
import type { FiscalDeps, FiscalExportResult } from './types.js';

/** Writes the rewind archive to the named destinations; fails when none could take it. */
export async function writeRewindArchive(
  deps: FiscalDeps,
  recipe: FiscalRecipe,
  rewind: FiscalRewind,
  restored: string,
  names: string[],
): Promise<FiscalExportResult> {
  const now = deps.clock();
  const id = backupId(`fiscal rewind`, deps.identity.id, now);
  const encryption = deps.encryption();
  const encrypted = encryption.recipients.length > 0 || encryption.passphrase !== null;
  const archive = id + archiveExtension(encrypted);
  const work = await fsp.mkdtemp(path.join(deps.scratch, 'fiscal-rewind-'));
  try {
    const db = deps.openSource();
    let audit: FiscalAudit;
    let content: ReturnType<typeof exportRows>;
    try {
      audit = auditDatabase(db, recipe, { now, source: 'live', archives: null });
      content = exportRows(db, recipe, { by: 'sequence', after: rewind.after }, work);
    } finally {
      db.close();
    }
    const days = [content.chains.records, content.chains.closings, content.chains.events]
      .flatMap((c) => [c?.first?.at, c?.last?.at])
      .filter((d): d is string => typeof d === 'string')
      .map((d) => d.slice(0, 10))
      .sort();
    const today = now.toISOString().slice(0, 10);
    const period = {
      from: days[0] ?? today,
      to: days[days.length - 1] ?? today,
      label: 'rewind',
    };
    const result = await writeAndStore({
      identity: deps.identity,
      app: deps.app,
      id,
      archive,
      now,
      work,
      content: {
        period,
        recipe,
        ...content,
        previous: null,
        rewind: { backupId: restored, after: rewind.after },
      },
      audit,
      encryption,
      compressionLevel: deps.compressionLevel,
      areas: deps.areas(names),
      allowsUnencrypted: (n) => deps.allowsUnencrypted(n),
      out: null,
    });
    await addToIndex(deps.indexFile, result, content.chains.records.last, 'rewind');
    const r = rewind.records;
    deps.log('fiscal-rewind-archive', {
      archive,
      backupId: restored,
      records:
        r.count > 0 ? { from: r.fromSeq, to: r.toSeq, count: r.count, total: r.total } : null,
      closings: rewind.closings,
      events: rewind.events,
      sha256: result.sha256,
      destinations: result.destinations.map((d) => d.name),
    });
    return {
      id,
      archive,
      period,
      sha256: result.sha256,
      size: result.size,
      encrypted: result.encrypted,
      records: content.chains.records.count,
      destinations: result.destinations,
      failed: result.failed,
      out: null,
      previous: null,
      audit: { ok: audit.ok, findings: audit.findings },
    };
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}
