// The catalog: finds and lists backups across destinations from their
// sidecars, reading each destination once per call.

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { asCoffreError, CoffreError, type ErrorCode } from '../core/errors.js';
import { parseArchiveName, SIDECAR_SUFFIX, type Origin, type Sidecar } from '../core/manifest.js';
import { parseSidecarText } from '../core/sidecar.js';
import type { DamagedSidecar, Destination } from '../destinations/types.js';
import type { IdentityStore } from '../state/identity.js';
import type { DestinationService } from './destinations.js';

export interface BackupEntry {
  id: string;
  archive: string;
  destination: string;
  createdAt: string;
  size: number;
  sha256: string;
  origin: Origin;
  note: string | null;
  appVersion: string | null;
  coffreVersion: string;
  encrypted: boolean;
  registerId: string;
  registerName: string;
}

export interface Unavailable {
  destination: string;
  code: string;
  message: string;
}

/** An archive in a destination whose sidecar is damaged: not listed as a backup. */
export interface DamagedBackup {
  destination: string;
  archive: string;
  id: string;
  code: string;
  message: string;
}

/** A backup that the catalog found: how to read it, and its sidecar when there is one. */
export interface FoundBackup {
  open: () => Promise<Readable>;
  archive: string;
  destination: string | null;
  sidecar: Sidecar | null;
  /** Read over the network (a cloud destination). */
  remote: boolean;
  /** Every destination that holds this archive (none for a loose file). */
  copies: BackupEntry[];
}

interface Scanned {
  entry: BackupEntry;
  sidecar: Sidecar;
  dest: Destination;
}

function toEntry(destination: string, s: Sidecar): BackupEntry {
  return {
    id: s.header.id,
    archive: s.archive,
    destination,
    createdAt: s.header.createdAt,
    size: s.size,
    sha256: s.sha256,
    origin: s.header.origin,
    note: s.header.note,
    appVersion: s.header.app.version,
    coffreVersion: s.header.coffre.version,
    encrypted: s.header.encryption.encrypted,
    registerId: s.header.register.id,
    registerName: s.header.register.name,
  };
}

export class Catalog {
  constructor(
    private readonly destinations: Pick<DestinationService, 'all' | 'get'>,
    private readonly identity: IdentityStore,
  ) {}

  /** Reads every destination once: its backups (this register's, or all) and what could not be read. */
  private async scan(
    allRegisters: boolean,
  ): Promise<{ found: Scanned[]; unavailable: Unavailable[]; damaged: DamagedBackup[] }> {
    const own = this.identity.get().id;
    const register8 = `_${own.slice(0, 8)}`;
    // Every destination at once (a folder is read while the cloud answers), kept in their order.
    const read = await Promise.all(
      this.destinations.all().map(async (dest) => {
        const found: Scanned[] = [];
        const damaged: DamagedBackup[] = [];
        // A damaged sidecar is not a backup to list, but reading it by id must say why.
        const onDamaged = ({ archive, error }: DamagedSidecar) => {
          const id = parseArchiveName(archive)?.id ?? archive;
          if (!allRegisters && !id.endsWith(register8)) return;
          damaged.push({
            destination: dest.name,
            archive,
            id,
            code: error.code,
            message: error.message,
          });
        };
        try {
          for (const s of await dest.list(allRegisters ? undefined : own, onDamaged)) {
            if (allRegisters || s.header.register.id === own) {
              found.push({ entry: toEntry(dest.name, s), sidecar: s, dest });
            }
          }
          return { found, damaged, unavailable: [] as Unavailable[] };
        } catch (err) {
          const e = asCoffreError(err);
          return {
            found,
            damaged,
            unavailable: [{ destination: dest.name, code: e.code, message: e.message }],
          };
        }
      }),
    );
    const found = read.flatMap((r) => r.found);
    const unavailable = read.flatMap((r) => r.unavailable);
    const damaged = read.flatMap((r) => r.damaged);
    found.sort(
      (a, b) =>
        a.entry.createdAt.localeCompare(b.entry.createdAt) ||
        a.entry.destination.localeCompare(b.entry.destination),
    );
    return { found, unavailable, damaged };
  }

  /** Every backup of this register in every destination, oldest first; unreachable destinations are reported apart. */
  async list(options: { allRegisters?: boolean } = {}): Promise<{
    backups: BackupEntry[];
    unavailable: Unavailable[];
    /** Archives whose sidecar is damaged: not listed as backups; reading one gives this error. */
    damaged: DamagedBackup[];
  }> {
    const { found, unavailable, damaged } = await this.scan(options.allRegisters === true);
    return { backups: found.map((f) => f.entry), unavailable, damaged };
  }

  /**
   * Why a backup was not found, when the reason is not simply "no such
   * backup": the destination that may hold it cannot be read (an unplugged
   * drive), or only other registers' backups match (a new machine that has
   * not adopted its register yet).
   */
  private async notFound(
    ref: string,
    from: string | undefined,
    unavailable: Unavailable[],
    allRegisters: boolean,
  ): Promise<void> {
    if (unavailable.length > 0 && (!from || unavailable.some((u) => u.destination === from))) {
      throw new CoffreError(
        'DESTINATION_UNAVAILABLE',
        `No backup "${ref}" was found, and ${unavailable.map((u) => `"${u.destination}"`).join(', ')} could not be read: ${unavailable.map((u) => u.message).join(' ')}`,
        { details: { ref, unavailable, destination: unavailable[0].destination } },
      );
    }
    if (allRegisters) return;
    const others = (await this.scan(true)).found.filter(
      (b) =>
        (!from || b.entry.destination === from) &&
        (ref === 'latest' ||
          b.entry.id === ref ||
          b.entry.id.startsWith(parseArchiveName(ref)?.id ?? ref)),
    );
    if (others.length > 0) {
      const registers = new Map(others.map((b) => [b.entry.registerId, b.entry.registerName]));
      throw new CoffreError(
        'BACKUP_NOT_FOUND',
        `No backup "${ref}" of this register; ${from ? `destination "${from}"` : 'the destinations'} hold only other registers' backups that match: ${[
          ...registers,
        ]
          .map(([rid, name]) => `"${name}" (${rid})`)
          .join(', ')}.`,
        { details: { ref, otherRegisters: [...registers.keys()] } },
      );
    }
  }

  /**
   * Finds a backup by id, unique id prefix, `latest` (the newest that is not a
   * safety backup), or an archive file path.
   */
  /** A backup to download, streamed from its destination: never a file path. */
  async download(
    ref: string,
    from?: string,
  ): Promise<{ archive: string; size: number | null; sha256: string | null; stream: Readable }> {
    if (/[/\\]/.test(ref)) {
      throw new CoffreError('USAGE', `"${ref}" is not a backup id.`, { details: { field: 'id' } });
    }
    const found = await this.locate(ref, from);
    const stream = await found.open();
    return {
      archive: found.archive,
      size: found.sidecar?.size ?? null,
      sha256: found.sidecar?.sha256 ?? null,
      stream,
    };
  }

  async locate(ref: string, from?: string, allRegisters = false): Promise<FoundBackup> {
    if ((ref.includes('/') || ref.includes(path.sep)) && fs.existsSync(ref)) {
      const file = path.resolve(ref);
      // Only a regular file is read: a folder fails late and a FIFO would wait for ever.
      const stat = fs.statSync(file);
      if (!stat.isFile()) {
        throw new CoffreError(
          'USAGE',
          `${file} is ${stat.isDirectory() ? 'a folder' : 'not a regular file (a pipe, socket or device)'}, not an archive file.`,
          { details: { input: 'archive-path', path: file } },
        );
      }
      const archive = path.basename(file);
      let text: string | null = null;
      try {
        text = await fsp.readFile(file + SIDECAR_SUFFIX, 'utf8');
      } catch (err) {
        // No sidecar: a loose archive, checked by its signed entry list alone.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new CoffreError(
            'CORRUPT_ARCHIVE',
            `The metadata (sidecar) of ${archive} cannot be read: ${(err as Error).message}.`,
            { cause: err },
          );
        }
      }
      const sidecar = text !== null ? parseSidecarText(text, archive) : null;
      return {
        open: () => Promise.resolve(fs.createReadStream(file, { highWaterMark: 1 << 20 })),
        archive,
        destination: null,
        sidecar,
        remote: false,
        copies: [],
      };
    }
    if (from) this.destinations.get(from);
    const { found, unavailable, damaged } = await this.scan(allRegisters);
    const pool = from ? found.filter((b) => b.entry.destination === from) : found;
    let matches: Scanned[];
    if (ref === 'latest') {
      // In a bucket shared by a fleet, "latest" of which register? Never guess.
      const registers = new Map(pool.map((b) => [b.entry.registerId, b.entry.registerName]));
      if (registers.size > 1) {
        throw new CoffreError(
          'USAGE',
          `"latest" is ambiguous: ${from ? `destination "${from}"` : 'the destinations'} hold backups of ${registers.size} registers (${[
            ...registers,
          ]
            .map(([rid, name]) => `${name} ${rid.slice(0, 8)}`)
            .join(', ')}). Give the backup's id.`,
          { details: { registers: [...registers.keys()] } },
        );
      }
      // A safety backup is the state a restore replaced: taking it for
      // "latest" would undo that restore. It is restored by its id or undo.
      const candidates = pool.filter((b) => b.entry.origin !== 'safety');
      const newest = candidates.length > 0 ? candidates[candidates.length - 1].entry.id : null;
      matches = candidates.filter((b) => b.entry.id === newest);
    } else {
      const bare = parseArchiveName(ref)?.id ?? ref;
      matches = pool.filter((b) => b.entry.id === bare);
      if (matches.length === 0) matches = pool.filter((b) => b.entry.id.startsWith(bare));
    }
    const ids = [...new Set(matches.map((m) => m.entry.id))];
    if (ids.length === 0 && ref !== 'latest') {
      const bare = parseArchiveName(ref)?.id ?? ref;
      const broken = damaged.find(
        (d) => (!from || d.destination === from) && (d.id === bare || d.id.startsWith(bare)),
      );
      if (broken) {
        throw new CoffreError(broken.code as ErrorCode, broken.message, {
          details: { destination: broken.destination, archive: broken.archive },
        });
      }
    }
    if (ids.length === 0) await this.notFound(ref, from, unavailable, allRegisters);
    if (ids.length === 0) {
      const hint =
        unavailable.length > 0
          ? ` (not reachable: ${unavailable.map((u) => u.destination).join(', ')})`
          : '';
      throw new CoffreError(
        'BACKUP_NOT_FOUND',
        `No backup "${ref}" in ${from ? `destination "${from}"` : 'any destination'}${hint}.`,
        { details: { ref, unavailable } },
      );
    }
    if (ids.length > 1) {
      throw new CoffreError(
        'USAGE',
        `"${ref}" matches several backups: ${ids.slice(0, 5).join(', ')}. Give more of the id.`,
      );
    }
    // The same backup may be in several destinations: prefer the local copy.
    const chosen = matches.find((m) => m.entry.destination === 'local') ?? matches[0];
    return {
      open: () => chosen.dest.get(chosen.entry.archive),
      archive: chosen.entry.archive,
      destination: chosen.dest.name,
      sidecar: chosen.sidecar,
      remote: chosen.dest.kind === 's3',
      copies: matches.map((m) => m.entry),
    };
  }
}
