// Fills the page's view models from BackupCenter. Listing every destination
// (the cloud above all) is slow, so the lists, the destinations and the status
// are kept for a short while and dropped whenever a job ends, a form changes
// something or the config changes (by the API or the library too): a tab
// never lists the cloud again on every load.

import type { BackupCenter, BackupEntry, DestinationInfo, StatusReport } from '../index.js';
import type {
  AutoTabData,
  BackupTabData,
  CloudTabData,
  FiscalTabData,
  MaintenanceTabData,
  LiveJob,
  PageContext,
  Rights,
} from './model.js';

type Listing = Awaited<ReturnType<BackupCenter['list']>>;

/** How long a listing is trusted when nothing in this process changed it. */
const FRESH_MS = 60_000;

export class PageData {
  private cache = new Map<string, { at: number; value: Promise<unknown> }>();
  /** The config the cache was filled under: a change by the API or the library is a new one. */
  private cachedUnder: unknown = null;
  /** Jobs running now, in this process or another (the schedule, the CLI), from the live feed. */
  private jobs = new Map<number, LiveJob>();
  /** Stops following the job feed (the server is closing). */
  readonly stop: () => void;

  constructor(
    readonly center: BackupCenter,
    private readonly clock: () => Date = () => new Date(),
  ) {
    const drop = () => this.invalidate();
    center.events.on('backup', drop);
    center.events.on('restore', drop);
    this.stop = center.watchJobs((e) => {
      if (e.type === 'started') {
        this.jobs.set(e.job.id, {
          id: String(e.job.id),
          kind: e.job.kind,
          phase: '',
          done: 0,
          total: 0,
          startedAt: e.job.startedAt,
        });
      } else if (e.type === 'progress') {
        const p = e.progress;
        const known = this.jobs.get(p.jobId);
        this.jobs.set(p.jobId, {
          id: String(p.jobId),
          kind: p.kind,
          phase: p.phase,
          done: p.done,
          total: p.total,
          startedAt: known?.startedAt ?? p.at,
        });
      } else {
        this.jobs.delete(e.job.id);
        this.invalidate();
      }
    });
  }

  /** The job running now, if any (one at a time: the center holds one lock). */
  get running(): LiveJob | null {
    for (const j of this.jobs.values()) if (j.kind !== 'verify') return j;
    return null;
  }

  /** Forget every cached listing (after a job or a settings change). */
  invalidate(): void {
    this.cache.clear();
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const config = this.center.configuration;
    if (config !== this.cachedUnder) {
      this.cache.clear();
      this.cachedUnder = config;
    }
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < FRESH_MS) return hit.value as Promise<T>;
    const value = load();
    this.cache.set(key, { at: now, value });
    value.catch(() => this.cache.delete(key));
    return value;
  }

  status(): Promise<StatusReport> {
    return this.cached('status', () => this.center.status(this.clock()));
  }

  /** Every destination with its space and its backups (this reads each one, the cloud too). */
  destinations(): Promise<DestinationInfo[]> {
    return this.cached('destinations', () => this.center.destinations());
  }

  list(): Promise<Listing> {
    return this.cached('list', () => this.center.list());
  }

  listAll(): Promise<Listing> {
    return this.cached('list-all', () => this.center.list({ allRegisters: true }));
  }

  async context(input: {
    user: string;
    rights: Rights;
    csrf: string;
    flash: PageContext['flash'];
    running: PageContext['running'];
  }): Promise<PageContext> {
    const [status, listing] = await Promise.all([this.status(), this.list()]);
    const last = status.lastBackup;
    const lastJob = this.center.history(20).find((j) => j.kind === 'backup') ?? null;
    return {
      ...input,
      now: this.clock(),
      timeZone: this.center.timeZone,
      status,
      lastJob: lastJob
        ? {
            result: lastJob.result,
            destinations: lastJob.destinations,
            errorMessage: lastJob.errorMessage,
          }
        : null,
      lastCopies: last
        ? listing.backups.filter((b) => b.id === last.id).map((b) => b.destination)
        : [],
    };
  }

  private unencryptedCloud(): string[] {
    const c = this.center.configuration;
    if (c.encryption.recipients.length > 0 || c.encryption.passphraseFile) return [];
    return Object.entries(c.destinations)
      .filter(([, d]) => d.kind === 's3')
      .map(([name]) => name);
  }

  async backupTab(last: BackupTabData['last']): Promise<BackupTabData> {
    const status = await this.status();
    // Copies: the cached list is shared by every load.
    const destinations = (await this.destinations()).map((d) => ({ ...d }));
    // An unreachable destination is known from the status; destinations() reports it too.
    for (const d of destinations) {
      const s = status.destinations.find((x) => x.name === d.name);
      if (!d.error && s?.error) d.error = { code: 'DESTINATION_UNAVAILABLE', message: s.error };
    }
    return {
      destinations,
      defaults: this.center.configuration.defaultDestinations,
      unencryptedCloud: this.unencryptedCloud(),
      last,
    };
  }

  kinds(): Record<string, string> {
    const out: Record<string, string> = { local: 'local' };
    for (const [name, d] of Object.entries(this.center.configuration.destinations))
      out[name] = d.kind;
    return out;
  }

  async fiscalTab(canManage: boolean): Promise<FiscalTabData> {
    const status = await this.status();
    if (!status.fiscal) {
      return {
        available: false,
        audit: null,
        auditError: null,
        archives: [],
        destinations: [],
        canManage,
        scheduled: null,
        fullAuditAt: null,
      };
    }
    let audit: FiscalTabData['audit'] = null;
    let auditError: string | null = null;
    try {
      audit = await this.cached('fiscal-audit', () => this.center.fiscalAudit());
    } catch (err) {
      auditError = (err as Error).message;
    }
    const { archives } = await this.cached('fiscal-archives', () => this.center.fiscalArchives());
    // This tab's audit of the live data reads the whole chain: it is the last full check when newer.
    const full = [status.fiscal.fullAuditAt, audit?.source === 'live' ? audit.checkedAt : null]
      .filter((t): t is string => t !== null)
      .sort((a, b) => Date.parse(a) - Date.parse(b))
      .at(-1);
    return {
      available: true,
      audit,
      auditError,
      archives: [...archives].reverse(),
      destinations: ['local', ...Object.keys(this.center.configuration.destinations)],
      canManage,
      scheduled: this.center.scheduleInfo(this.clock()).fiscal,
      fullAuditAt: full ?? null,
    };
  }

  async autoTab(newKey: AutoTabData['newKey']): Promise<AutoTabData> {
    const c = this.center.configuration;
    // As the Fiscal tab decides: the status audits fiscal data only when the profile has a recipe.
    const status = await this.status();
    return {
      schedule: this.center.scheduleInfo(this.clock()),
      fiscalAvailable: status.fiscal !== null,
      destinations: await this.destinations(),
      retention: c.retention,
      retentionByDestination: c.retentionByDestination,
      alerts: c.alerts,
      encryption: {
        recipients: c.encryption.recipients,
        passphrase: c.encryption.passphraseFile !== null,
      },
      newKey,
      unencryptedCloud: this.unencryptedCloud(),
    };
  }

  async cloudTab(): Promise<CloudTabData> {
    const c = this.center.configuration;
    const cloud = new Set(
      Object.entries(c.destinations)
        .filter(([, d]) => d.kind === 's3')
        .map(([n]) => n),
    );
    if (cloud.size === 0) {
      return {
        usage: [],
        backups: [],
        fleet: [],
        unavailable: [],
        ownRegister: this.center.identity.id,
      };
    }
    const [status, all] = await Promise.all([this.status(), this.listAll()]);
    const own = this.center.identity.id;
    const inCloud = all.backups.filter((b) => cloud.has(b.destination));
    return {
      usage: status.cloud,
      backups: inCloud.filter((b) => b.registerId === own),
      fleet: fleetOf(inCloud),
      unavailable: all.unavailable.filter((u) => cloud.has(u.destination)),
      ownRegister: own,
    };
  }

  async maintenanceTab(verified: MaintenanceTabData['verified']): Promise<MaintenanceTabData> {
    const [plan, listing] = await Promise.all([
      this.cached('retention', () => this.center.retentionPlan(this.clock())),
      this.list(),
    ]);
    return {
      plan,
      backups: listing.backups,
      history: this.center.history(50),
      journal: this.center.log(),
      damaged: listing.damaged,
      verified,
    };
  }
}

/** One line per register: how many backups, how much space, the newest. */
export function fleetOf(backups: BackupEntry[]): CloudTabData['fleet'] {
  const by = new Map<string, CloudTabData['fleet'][number]>();
  for (const b of backups) {
    const r = by.get(b.registerId) ?? {
      registerId: b.registerId,
      registerName: b.registerName,
      backups: 0,
      bytes: 0,
      newest: b.createdAt,
    };
    r.backups++;
    r.bytes += b.size;
    if (b.createdAt > r.newest) {
      r.newest = b.createdAt;
      r.registerName = b.registerName;
    }
    by.set(b.registerId, r);
  }
  return [...by.values()].sort((a, b) => a.registerName.localeCompare(b.registerName));
}
