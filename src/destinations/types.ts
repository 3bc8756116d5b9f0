// The one interface every destination implements: local folder, external
// folder, S3-compatible bucket. BackupCenter only ever talks to this interface.

import type { Readable, Writable } from 'node:stream';
import type { CoffreError } from '../core/errors.js';
import type { Sidecar } from '../core/manifest.js';

export type DestinationKind = 'local' | 'external' | 's3';

export interface PutOptions {
  /** Stop with QUOTA_EXCEEDED once the archive grows past this many bytes. */
  limitBytes?: number;
  /** About how large the archive will be (an upper bound is fine), for destinations that size their parts. */
  expectedBytes?: number;
}

/** An archive being written. Nothing is visible to `list` until `commit`. */
export interface Upload {
  /** Write the archive bytes here, then end it. */
  readonly stream: Writable;
  /** After the stream has finished: makes the archive durable and visible. */
  commit(sidecar: Sidecar): Promise<void>;
  /** Removes whatever was written. Safe to call at any time, more than once. */
  abort(): Promise<void>;
}

export interface Usage {
  /**
   * Bytes stored: archives and their sidecars (a cloud destination counts
   * every object under its prefix: that is what the plan bills).
   */
  usedBytes: number;
  backups: number;
  /** Free space on the medium, when the destination can tell. */
  freeBytes: number | null;
  quotaBytes: number | null;
}

/** A committed archive whose sidecar cannot be trusted as it is. */
export interface DamagedSidecar {
  archive: string;
  error: CoffreError;
}

export interface Destination {
  readonly name: string;
  readonly kind: DestinationKind;
  /** A human-readable place: a folder path or a URL. */
  readonly location: string;
  /** Throws DESTINATION_UNAVAILABLE or DESTINATION_READ_ONLY when it cannot take a backup now. */
  check(): Promise<void>;
  /**
   * Proves the rights a backup needs by writing, reading back and deleting a
   * small object (where check() cannot tell, as in cloud storage). Throws
   * DESTINATION_AUTH naming the missing right.
   */
  probe?(): Promise<void>;
  put(archive: string, options?: PutOptions): Promise<Upload>;
  get(archive: string): Promise<Readable>;
  /**
   * Committed backups, from their sidecars only (archives are never opened);
   * only one register's when given. A sidecar that does not pass
   * `parseSidecar` is not listed; it is reported to `onDamaged`, with the
   * error (CORRUPT_ARCHIVE, BAD_SIGNATURE) that reading that backup gives.
   */
  list(registerId?: string, onDamaged?: (damaged: DamagedSidecar) => void): Promise<Sidecar[]>;
  delete(archive: string): Promise<void>;
  usage(): Promise<Usage>;
  /** Removes partial writes and uncommitted archives this register left behind. */
  sweep(registerId: string): Promise<number>;
}
