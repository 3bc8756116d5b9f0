// Destinations: the built-in local folder, external folders and cloud
// buckets. Opening one by name, adding, changing and removing them (with the
// defaults and checks every front end shares), and describing their space.

import fs from 'node:fs';
import path from 'node:path';
import { cloudPlacesOverlap, foldersOverlap } from '../core/places.js';
import { asCoffreError, CoffreError } from '../core/errors.js';
import { parseSize, quotaPercent, quotaWarning, type QuotaState } from '../core/quota.js';
import { describePolicy } from '../core/retention.js';
import type { Warning } from '../core/warnings.js';
import { openFiscalArea } from '../destinations/fiscal-area.js';
import { realFolder } from '../destinations/places.js';
import { FolderDestination } from '../destinations/folder.js';
import { openDestination } from '../destinations/open.js';
import type { Destination, Usage } from '../destinations/types.js';
import {
  DESTINATION_NAME,
  destinationSchema,
  retentionFor,
  resolveFromHome,
  type ConfigStore,
  type DestinationConfig,
  type S3DestinationConfig,
} from '../state/config.js';
import type { HomePaths } from '../state/home.js';
import type { IdentityStore } from '../state/identity.js';
import type { CloudCredentials } from '../state/secrets.js';

export interface DestinationInfo {
  name: string;
  kind: string;
  location: string;
  isDefault: boolean;
  usage: Usage | null;
  error: { code: string; message: string } | null;
  /** Cloud destinations: whether unencrypted backups may be sent there. */
  allowUnencrypted?: boolean;
  /**
   * After the local folder changed: this register's backups still in the old
   * folder. They are not moved; `list` no longer shows them until they are.
   */
  leftBehind?: { folder: string; backups: number };
}

/** A cloud destination's space: what the plan allows, what is used, what retention keeps. */
export interface CloudUsage {
  name: string;
  location: string;
  usedBytes: number | null;
  quotaBytes: number | null;
  freeBytes: number | null;
  percent: number | null;
  /** Backups of every register in it, and this register's. */
  backups: number | null;
  ownBackups: number | null;
  ownBytes: number | null;
  retention: string;
  warning: Warning | null;
  error: { code: string; message: string } | null;
}

/**
 * A destination as a caller describes it: the kind, and the settings of that
 * kind. Omitted settings take their defaults; a quota may be a size as people
 * write it ("10GB").
 */
export interface DestinationInput {
  kind: string;
  path?: string;
  endpoint?: string;
  bucket?: string;
  prefix?: string;
  region?: string;
  pathStyle?: boolean;
  quota?: string | number | null;
  quotaBytes?: number | null;
  credentialsFile?: string | null;
  credentialsProfile?: string;
  allowUnencrypted?: boolean;
  checksums?: boolean;
}

/** A change to a destination: a cloud one's quota and unencrypted setting, or the local folder. */
export interface DestinationPatch {
  /** local only: its folder (an existing, writable folder outside the app's files); null: the home's backups/. */
  path?: string | null;
  quota?: string | number | null;
  quotaBytes?: number | null;
  allowUnencrypted?: boolean;
}

const S3_ONLY = [
  'endpoint',
  'bucket',
  'prefix',
  'region',
  'pathStyle',
  'quota',
  'quotaBytes',
  'credentialsFile',
  'allowUnencrypted',
] as const;

function quotaOf(input: { quota?: string | number | null; quotaBytes?: number | null }) {
  if (input.quota !== undefined) {
    return input.quota === null
      ? null
      : typeof input.quota === 'number'
        ? input.quota
        : parseSize(input.quota);
  }
  return input.quotaBytes;
}

export class DestinationService {
  constructor(
    private readonly paths: Pick<HomePaths, 'root' | 'backups'>,
    private readonly config: ConfigStore,
    private readonly identity: IdentityStore,
    private readonly cloudCredentials: CloudCredentials | null,
  ) {}

  /** Every destination name: local first, then the config's. */
  names(): string[] {
    return ['local', ...Object.keys(this.config.get().destinations)];
  }

  /** Opens a destination by name; an unknown name is refused with the known ones. */
  get(name: string): Destination {
    if (name === 'local') return new FolderDestination('local', 'local', this.localFolder());
    const conf = this.config.get().destinations[name];
    if (!conf) {
      throw new CoffreError(
        'USAGE',
        `There is no destination named "${name}" (known: ${this.names().join(', ')}).`,
        { details: { destination: name, unknownDestination: true } },
      );
    }
    return openDestination(name, conf, {
      resolvePath: (p) => resolveFromHome(this.paths.root, p),
      cloudCredentials: this.cloudCredentials,
    });
  }

  all(): Destination[] {
    return this.names().map((n) => this.get(n));
  }

  /** The fiscal areas (apart from backups) of the named destinations, or of all of them. */
  fiscalAreas(names: readonly string[] | null): Destination[] {
    return (names ?? this.names()).map((n) => {
      this.get(n); // the same check and message for an unknown name
      return openFiscalArea(
        n,
        n === 'local' ? null : this.config.get().destinations[n],
        this.paths.backups,
        {
          resolvePath: (p) => resolveFromHome(this.paths.root, p),
          cloudCredentials: this.cloudCredentials,
        },
      );
    });
  }

  isCloud(name: string): boolean {
    return this.config.get().destinations[name]?.kind === 's3';
  }

  cloudConfig(name: string): S3DestinationConfig {
    const conf = this.config.get().destinations[name];
    if (conf?.kind !== 's3')
      throw new CoffreError('USAGE', `"${name}" is not a cloud destination.`, {
        details: { destination: name },
      });
    return conf;
  }

  /** Turns what a caller gave into a destination's config: defaults, normalisation, checks. */
  normalize(name: string, input: DestinationInput): DestinationConfig {
    if (input.kind === 'external') {
      const misplaced = S3_ONLY.filter((k) => input[k] !== undefined && input[k] !== null);
      if (!input.path)
        throw new CoffreError('USAGE', 'An external destination needs the path of its folder.');
      if (misplaced.length > 0) {
        throw new CoffreError(
          'USAGE',
          `${misplaced.join(', ')} only apply to s3 (cloud) destinations.`,
          { details: { misplaced } },
        );
      }
      return checkDestination(name, { kind: 'external', path: input.path });
    }
    if (input.kind === 's3') {
      if (input.path)
        throw new CoffreError(
          'USAGE',
          'A path is for external destinations; an s3 destination takes an endpoint and a bucket.',
        );
      const missing = (['endpoint', 'bucket'] as const).filter((k) => !input[k]);
      if (missing.length > 0) {
        throw new CoffreError('USAGE', `An s3 destination needs ${missing.join(' and ')}.`, {
          details: { missing },
        });
      }
      let prefix = input.prefix ?? '';
      if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
      return checkDestination(name, {
        kind: 's3',
        endpoint: input.endpoint!,
        bucket: input.bucket!,
        prefix,
        region: input.region ?? 'us-east-1',
        pathStyle: input.pathStyle === true,
        quotaBytes: quotaOf(input) ?? null,
        credentialsFile: input.credentialsFile ?? null,
        credentialsProfile: input.credentialsProfile ?? 'default',
        allowUnencrypted: input.allowUnencrypted === true,
        checksums: input.checksums ?? true,
      });
    }
    throw new CoffreError(
      'USAGE',
      `Unknown destination kind "${input.kind}": use external (a folder) or s3 (cloud storage); "local" is built in.`,
    );
  }

  async add(name: string, input: DestinationInput): Promise<DestinationInfo> {
    if (!DESTINATION_NAME.test(name)) {
      throw new CoffreError(
        'USAGE',
        `"${name}" is not a valid destination name: use lower-case letters, digits, - and _ (up to 32).`,
      );
    }
    const existing = this.config.get().destinations;
    if (name === 'local' || name in existing) {
      throw new CoffreError('USAGE', `A destination named "${name}" already exists.`);
    }
    const checked = this.normalize(name, input);
    // Two destinations on the same place would clean up each other's uploads,
    // and deleting from one would delete from the other.
    const same = this.samePlace(checked);
    if (same) {
      throw new CoffreError(
        'USAGE',
        `Destination "${same}" already writes to that place (the same folder or bucket and prefix, one inside the other, or the same after following links); use it, or give this one another ${checked.kind === 's3' ? 'prefix' : 'folder'}.`,
        { details: { destination: same } },
      );
    }
    await this.config.update(
      (c) => ({ ...c, destinations: { ...c.destinations, [name]: checked } }),
      'destination-add',
    );
    // A new destination proves it can take backups now, not at the first night.
    return this.describe(name, { probe: true });
  }

  /** The name of a destination already writing where `conf` would, or null. */
  private samePlace(conf: DestinationConfig, except?: string): string | null {
    const existing = this.config.get().destinations;
    if (conf.kind === 'external') {
      const mine = realFolder(conf.path);
      const folders: [string, string][] = [
        ['local', this.localFolder()],
        ['local', this.paths.backups],
      ];
      for (const [n, d] of Object.entries(existing)) {
        if (d.kind === 'external') folders.push([n, resolveFromHome(this.paths.root, d.path)]);
      }
      const hit = folders.find(([n, p]) => n !== except && foldersOverlap(mine, realFolder(p)));
      return hit ? hit[0] : null;
    }
    const hit = Object.entries(existing).find(
      ([n, d]) => n !== except && d.kind === 's3' && cloudPlacesOverlap(d, conf),
    );
    return hit ? hit[0] : null;
  }

  /** The folder of the built-in local destination: the config's, else the home's backups/. */
  localFolder(): string {
    const chosen = this.config.get().localPath;
    return chosen ? resolveFromHome(this.paths.root, chosen) : this.paths.backups;
  }

  /**
   * Points the local destination at another folder (null: the home's
   * backups/ again). The folder must exist, be writable, lie outside the
   * app's files folder and not overlap another destination. Backups already
   * in the old folder stay there: the result says how many, to move them.
   */
  private async setLocalFolder(patch: DestinationPatch): Promise<DestinationInfo> {
    const other = Object.keys(patch).filter(
      (k) => k !== 'path' && patch[k as keyof DestinationPatch] !== undefined,
    );
    if (patch.path === undefined || other.length > 0) {
      throw new CoffreError(
        'USAGE',
        `The "local" destination has only a folder to change (${other.length > 0 ? `${other.join(', ')} only apply to cloud destinations` : 'give its path'}).`,
      );
    }
    const previous = this.localFolder();
    const folder = patch.path === null ? this.paths.backups : path.resolve(patch.path);
    if (patch.path !== null) {
      let stat: fs.Stats;
      try {
        stat = fs.statSync(folder);
      } catch {
        throw new CoffreError('USAGE', `The folder ${folder} does not exist: create it first.`, {
          details: { folder },
        });
      }
      if (!stat.isDirectory())
        throw new CoffreError('USAGE', `${folder} is not a folder.`, { details: { folder } });
      try {
        fs.accessSync(folder, fs.constants.W_OK);
      } catch {
        throw new CoffreError('USAGE', `Coffre cannot write in ${folder}: check its permissions.`, {
          details: { folder },
        });
      }
      const files = this.config.get().source.files;
      if (files) {
        const appFiles = realFolder(resolveFromHome(this.paths.root, files));
        if (foldersOverlap(realFolder(folder), appFiles)) {
          throw new CoffreError(
            'USAGE',
            `${folder} overlaps the app's files folder (${appFiles}): backups there would be backed up, and a restore of the files would remove them. Choose a folder outside it.`,
            { details: { folder, appFiles } },
          );
        }
      }
      const same = this.samePlace({ kind: 'external', path: folder }, 'local');
      if (same) {
        throw new CoffreError(
          'USAGE',
          `Destination "${same}" already writes to that place; choose another folder for "local".`,
          { details: { destination: same } },
        );
      }
    }
    await this.config.update(
      (c) => ({ ...c, localPath: patch.path === null ? null : folder }),
      'destination-change',
    );
    const info = await this.describe('local', { probe: true });
    let left = 0;
    if (realFolder(previous) !== realFolder(folder)) {
      const register = this.identity.get().id;
      left = await new FolderDestination('local', 'local', previous)
        .list()
        .then((l) => l.filter((s) => s.header.register.id === register).length)
        .catch(() => 0);
    }
    return { ...info, ...(left > 0 ? { leftBehind: { folder: previous, backups: left } } : {}) };
  }

  /** Changes a cloud destination's quota or unencrypted-upload setting, or the local folder. */
  async update(name: string, patch: DestinationPatch): Promise<DestinationInfo> {
    if (name === 'local') return this.setLocalFolder(patch);
    if (patch.path !== undefined) {
      throw new CoffreError(
        'USAGE',
        `Only the folder of "local" can be changed; to use another folder than "${name}"'s, add a destination for it and remove this one.`,
      );
    }
    this.get(name);
    const conf = this.config.get().destinations[name];
    if (conf?.kind !== 's3') {
      throw new CoffreError(
        'USAGE',
        `"${name}" is not a cloud destination: only cloud destinations have a quota and an unencrypted-upload setting.`,
      );
    }
    const quotaBytes = quotaOf(patch);
    const changes = {
      ...(quotaBytes !== undefined ? { quotaBytes } : {}),
      ...(patch.allowUnencrypted !== undefined ? { allowUnencrypted: patch.allowUnencrypted } : {}),
    };
    if (Object.keys(changes).length === 0) {
      throw new CoffreError(
        'USAGE',
        'Nothing to change: give a quota (or none), or whether unencrypted backups are accepted.',
      );
    }
    const next = checkDestination(name, { ...conf, ...changes });
    await this.config.update(
      (c) => ({ ...c, destinations: { ...c.destinations, [name]: next } }),
      'destination-change',
    );
    return this.describe(name);
  }

  async remove(name: string): Promise<void> {
    if (name === 'local')
      throw new CoffreError('USAGE', 'The "local" destination is built in and cannot be removed.');
    this.get(name);
    await this.config.update((c) => {
      const defaults = c.defaultDestinations.filter((d) => d !== name);
      const retentionByDestination = { ...c.retentionByDestination };
      delete retentionByDestination[name];
      return {
        ...c,
        destinations: Object.fromEntries(
          Object.entries(c.destinations).filter(([n]) => n !== name),
        ),
        defaultDestinations: defaults.length > 0 ? defaults : ['local'],
        retentionByDestination,
        schedule: {
          ...c.schedule,
          destinations: c.schedule.destinations.filter((d) => d !== name),
        },
      };
    }, 'destination-remove');
  }

  async describe(name: string, options: { probe?: boolean } = {}): Promise<DestinationInfo> {
    const dest = this.get(name);
    let usage: Usage | null = null;
    let error: DestinationInfo['error'] = null;
    try {
      await dest.check();
      if (options.probe) await dest.probe?.();
      usage = await dest.usage();
      // A shared folder or bucket holds other registers' backups too: count this one's.
      const register = this.identity.get().id;
      const own = (await dest.list(register)).filter((s) => s.header.register.id === register);
      usage = { ...usage, backups: own.length };
    } catch (err) {
      const e = asCoffreError(err);
      error = { code: e.code, message: e.message };
    }
    return {
      name,
      kind: dest.kind,
      location: dest.location,
      isDefault: this.config.get().defaultDestinations.includes(name),
      usage,
      error,
      ...(dest.kind === 's3' ? { allowUnencrypted: this.cloudConfig(name).allowUnencrypted } : {}),
    };
  }

  async list(): Promise<DestinationInfo[]> {
    return Promise.all(this.names().map((n) => this.describe(n)));
  }

  /** Each cloud destination's used and free space against its quota, and the retention in force there. */
  async cloudUsage(): Promise<CloudUsage[]> {
    const config = this.config.get();
    const names = Object.keys(config.destinations).filter((n) => this.isCloud(n));
    return Promise.all(
      names.map(async (name): Promise<CloudUsage> => {
        const dest = this.get(name);
        const retention = describePolicy(retentionFor(config, name));
        try {
          const usage = await dest.usage();
          const own = await dest.list(this.identity.get().id);
          const state: QuotaState | null =
            usage.quotaBytes === null
              ? null
              : { usedBytes: usage.usedBytes, quotaBytes: usage.quotaBytes };
          return {
            name,
            location: dest.location,
            usedBytes: usage.usedBytes,
            quotaBytes: usage.quotaBytes,
            freeBytes: usage.freeBytes,
            percent: state ? quotaPercent(state) : null,
            backups: usage.backups,
            ownBackups: own.length,
            ownBytes: own.reduce((n, s) => n + s.size, 0),
            retention,
            warning: state ? quotaWarning(name, state) : null,
            error: null,
          };
        } catch (err) {
          const e = asCoffreError(err);
          return {
            name,
            location: dest.location,
            usedBytes: null,
            quotaBytes: this.cloudConfig(name).quotaBytes,
            freeBytes: null,
            percent: null,
            backups: null,
            ownBackups: null,
            ownBytes: null,
            retention,
            warning: null,
            error: { code: e.code, message: e.message },
          };
        }
      }),
    );
  }
}

/** A destination's config validated with the config file's own rules; paths made absolute. */
function checkDestination(name: string, conf: unknown): DestinationConfig {
  const parsed = destinationSchema.safeParse(conf);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join('.') || 'destination'}: ${i.message}`,
    );
    throw new CoffreError('USAGE', `Destination "${name}": ${problems.join('; ')}.`, {
      details: { problems },
    });
  }
  const value = parsed.data;
  if (value.kind === 'external') return { ...value, path: path.resolve(value.path) };
  return {
    ...value,
    endpoint: value.endpoint.replace(/\/+$/, ''),
    credentialsFile: value.credentialsFile ? path.resolve(value.credentialsFile) : null,
  };
}
