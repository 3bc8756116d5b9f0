// Maintenance: what retention keeps and removes, applying it (prune), deleting
// one backup, changing the retention rules, and sweeping what killed jobs
// left behind. Deletions are confirmed inside the locked job, on exactly the
// plan that will run.

import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../core/clock.js';
import { CoffreError } from '../core/errors.js';
import { parseArchiveName, type Origin } from '../core/manifest.js';
import { describePolicy, planRetention, type RetentionPolicy } from '../core/retention.js';
import { retentionFor, type ConfigStore } from '../state/config.js';
import type { HomePaths } from '../state/home.js';
import type { IdentityStore } from '../state/identity.js';
import type { BackupEntry, Catalog } from './catalog.js';
import type { DestinationService } from './destinations.js';
import type { JobRunner } from './jobs.js';

export interface RetentionEntry {
  destination: string;
  id: string;
  archive: string;
  createdAt: string;
  origin: Origin;
  keep: boolean;
  reasons: string[];
}

export interface RetentionReport {
  policies: { destination: string; policy: RetentionPolicy; describe: string }[];
  entries: RetentionEntry[];
  unavailable: { destination: string; code: string; message: string }[];
}

export interface PruneOptions {
  now?: Date;
  /** Sees the plan that will run, inside the job; false cancels and nothing is deleted. */
  confirm?: (plan: RetentionReport) => boolean | Promise<boolean>;
}

export interface PruneResult extends RetentionReport {
  /** False when the confirmation said no: nothing changed. */
  applied: boolean;
  deleted: number;
  swept: number;
}

export interface DeleteOptions {
  from?: string;
  /** Sees the copies that will be deleted, inside the job; false cancels. */
  confirm?: (copies: BackupEntry[]) => boolean | Promise<boolean>;
}

export interface DeleteResult {
  applied: boolean;
  deleted: BackupEntry[];
}

/** A change to a retention policy: the numbers given replace the current ones. */
export type RetentionPatch = Partial<RetentionPolicy>;

export class MaintenanceService {
  constructor(
    private readonly paths: Pick<HomePaths, 'tmp'>,
    private readonly config: ConfigStore,
    private readonly identity: IdentityStore,
    private readonly jobs: Pick<JobRunner, 'lock' | 'locked' | 'db' | 'journal'>,
    private readonly catalog: Pick<Catalog, 'list' | 'locate'>,
    private readonly destinations: Pick<DestinationService, 'get' | 'all' | 'names'>,
    private readonly clock: Clock,
  ) {}

  /** The register's local time zone: the config's, else the machine's. */
  get timeZone(): string {
    return this.config.get().schedule.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  }

  /**
   * What retention keeps and removes in each destination, and why; changes
   * nothing. `coffre prune --dry-run` shows exactly this.
   */
  async plan(
    now: Date = this.clock(),
    only?: string[],
    /** A backup about to be made: planned as if it existed, never listed. */
    pending?: { id: string; now: Date; origin: Origin },
  ): Promise<RetentionReport> {
    const { backups, unavailable } = await this.catalog.list();
    const verifications = this.jobs.db().verifications();
    const config = this.config.get();
    const names = only ?? this.destinations.names();
    const entries: RetentionEntry[] = [];
    for (const destination of names) {
      const mine = backups.filter((b) => b.destination === destination);
      const items = mine.map((b) => ({
        id: b.id,
        createdAt: b.createdAt,
        origin: b.origin,
        verification: verifications.get(b.id)?.result ?? null,
      }));
      if (pending) {
        items.push({
          id: pending.id,
          createdAt: pending.now.toISOString(),
          origin: pending.origin,
          verification: null,
        });
      }
      const policy = retentionFor(config, destination);
      for (const d of planRetention(items, policy, now, this.timeZone)) {
        const b = mine.find((m) => m.id === d.id);
        if (!b) continue;
        entries.push({
          destination,
          id: b.id,
          archive: b.archive,
          createdAt: b.createdAt,
          origin: b.origin,
          keep: d.keep,
          reasons: d.reasons,
        });
      }
    }
    // Oldest first, in the order the list of backups shows them.
    entries.sort(
      (a, b) =>
        a.createdAt.localeCompare(b.createdAt) || a.destination.localeCompare(b.destination),
    );
    return {
      policies: names.map((destination) => ({
        destination,
        policy: retentionFor(config, destination),
        describe: describePolicy(retentionFor(config, destination)),
      })),
      entries,
      unavailable: unavailable.filter((u) => names.includes(u.destination)),
    };
  }

  /** Applies retention in every destination and sweeps temporary files. One job at a time. */
  async prune(options: PruneOptions = {}): Promise<PruneResult> {
    const now = options.now ?? this.clock();
    return this.jobs.locked('prune', now, async () => {
      const plan = await this.plan(now);
      const doomed = plan.entries.filter((e) => !e.keep);
      if (doomed.length > 0 && options.confirm && !(await options.confirm(plan))) {
        return { ...plan, applied: false, deleted: 0, swept: 0 };
      }
      let deleted = 0;
      for (const entry of doomed) {
        await this.destinations.get(entry.destination).delete(entry.archive);
        deleted++;
      }
      if (deleted > 0) {
        this.jobs.journal('prune', {
          deleted: doomed.map((e) => ({ id: e.id, destination: e.destination })),
        });
      }
      let swept = 0;
      for (const dest of this.destinations.all()) {
        if (plan.unavailable.some((u) => u.destination === dest.name)) continue;
        swept += await dest.sweep(this.identity.get().id);
      }
      await sweepTmp(this.paths.tmp, now);
      return { ...plan, applied: true, deleted, swept };
    });
  }

  /**
   * Deletes one backup, named by its id (or a unique start of it) or
   * `latest`, from one destination or from every destination that has it. A
   * path is not a backup id: files outside the destinations are never touched.
   */
  async delete(ref: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    const bare = parseArchiveName(ref)?.id ?? ref;
    if (ref !== 'latest' && !/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(bare)) {
      throw new CoffreError(
        'USAGE',
        `"${ref}" is not a backup id: give an id as the list of backups shows it (or a unique start of it), or "latest".`,
        { details: { ref } },
      );
    }
    return this.jobs.locked('delete', this.clock(), async () => {
      const found = await this.catalog.locate(bare, options.from);
      const copies = found.copies.filter((c) => !options.from || c.destination === options.from);
      if (options.confirm && !(await options.confirm(copies))) {
        return { applied: false, deleted: [] };
      }
      for (const copy of copies) await this.destinations.get(copy.destination).delete(copy.archive);
      this.jobs.journal('backup-delete', {
        id: copies[0]?.id ?? found.archive,
        destinations: copies.map((c) => c.destination),
      });
      return { applied: true, deleted: copies };
    });
  }

  /** Changes the retention, everywhere or in one destination; numbers not given stay as they are. */
  async setRetention(patch: RetentionPatch, destination?: string): Promise<RetentionPolicy> {
    if (destination) this.destinations.get(destination);
    const updated = await this.config.update((c) => {
      const base = retentionFor(c, destination ?? '');
      const policy = { ...(destination ? base : c.retention), ...definedOnly(patch) };
      return destination
        ? { ...c, retentionByDestination: { ...c.retentionByDestination, [destination]: policy } }
        : { ...c, retention: policy };
    }, 'retention-set');
    return destination ? retentionFor(updated, destination) : updated.retention;
  }
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Removes scratch files a killed job left in the home's tmp folder. */
export async function sweepTmp(dir: string, now: Date): Promise<void> {
  const dayAgo = now.getTime() - 24 * 3600 * 1000;
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    // Snapshots belong to backups, which hold the lock; a verification may be
    // running beside this job, so only old scratch folders are removed.
    const stale =
      name.startsWith('snapshot-') ||
      (name.startsWith('verify-') &&
        ((await fsp.stat(file).catch(() => null))?.mtimeMs ?? 0) < dayAgo);
    if (stale) await fsp.rm(file, { recursive: true, force: true });
  }
}
