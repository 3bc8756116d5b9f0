// Errors with a stable code. Library code throws these; each edge (CLI, HTTP,
// web page) turns a code into words for its audience and into an exit code or
// a status. The message says what happened, with the specifics known at the
// throw site; what the user should do next is added by the edge.

export const ERROR_CODES = [
  /** Bad input from the caller: an option, a name, a value. */
  'USAGE',
  /** The home directory has no Coffre installation yet. */
  'NOT_INITIALIZED',
  /** The home's config file cannot be read or does not validate. */
  'CONFIG_INVALID',
  /** The home is not a folder, or this user cannot read or write it. */
  'HOME_UNAVAILABLE',
  /** The home's identity file (identity.json) is damaged or incomplete. */
  'IDENTITY_INVALID',
  /** An installation already exists where one would be created. */
  'ALREADY_INITIALIZED',
  /** The protected app's database or files cannot be read. */
  'SOURCE_UNAVAILABLE',
  /** The app's database path is a folder, or a file that is not an SQLite database. */
  'NOT_A_DATABASE',
  /** The source database is encrypted and no archive encryption is set. */
  'ENCRYPTION_REQUIRED',
  /** The archive is encrypted and no key or passphrase was given. */
  'KEY_REQUIRED',
  /** The key or passphrase given does not open the archive. */
  'WRONG_KEY',
  /** The archive's bytes are damaged, truncated or not an archive at all. */
  'CORRUPT_ARCHIVE',
  /** The entry list's signature does not verify: tampered or forged. */
  'BAD_SIGNATURE',
  /** The archive was made by another register. */
  'FOREIGN_REGISTER',
  /** The archive format version is newer than this Coffre reads. */
  'UNSUPPORTED_FORMAT',
  /** No backup with that id or name. */
  'BACKUP_NOT_FOUND',
  /** A destination is missing, unplugged, unreachable or unnamed. */
  'DESTINATION_UNAVAILABLE',
  /** A destination cannot be written (read-only medium or permissions). */
  'DESTINATION_READ_ONLY',
  /** A cloud destination has no credentials, or the service refused them. */
  'DESTINATION_AUTH',
  /** A backup would go over a cloud destination's quota, even after retention. */
  'QUOTA_EXCEEDED',
  /** An unencrypted backup would be sent to the cloud without the user allowing it. */
  'UNENCRYPTED_UPLOAD',
  /** The disk or medium is full. */
  'DISK_FULL',
  /** Another job holds this home's lock. */
  'BUSY',
  /** The backup's database schema is newer than the app's: the app must be updated first. */
  'SCHEMA_TOO_NEW',
  /** A restore would leave the data inconsistent (broken references, schema mismatch): nothing changed. */
  'RESTORE_CONFLICT',
  /** A secret file (passphrase, key, identity) can be read by other users. */
  'SECRET_FILE_UNSAFE',
  /** The job was cancelled by the user; it left nothing behind. */
  'CANCELLED',
  /** Signing in is needed (no session, an expired one, or a wrong user name or password). */
  'AUTH_REQUIRED',
  /** The signed-in user does not have the right this needs. */
  'FORBIDDEN',
  /** Anything else: a bug or an unexpected condition. */
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class CoffreError extends Error {
  override readonly name = 'CoffreError';
  readonly code: ErrorCode;
  /** Machine-readable specifics (a path, a destination name, an entry). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

export function isCoffreError(err: unknown, code?: ErrorCode): err is CoffreError {
  return err instanceof CoffreError && (code === undefined || err.code === code);
}

/** Whether an error says the disk is full: errno ENOSPC or EDQUOT, or SQLite's SQLITE_FULL. */
export function isNoSpace(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}

/**
 * Any error as a CoffreError: a CoffreError as it is; a full disk, wherever
 * it surfaced, as DISK_FULL; anything else as INTERNAL (the cause kept).
 */
export function asCoffreError(err: unknown): CoffreError {
  if (err instanceof CoffreError) return err;
  if (isNoSpace(err)) {
    const where = (err as NodeJS.ErrnoException).path;
    return new CoffreError(
      'DISK_FULL',
      `The disk is full${where ? ` (writing ${where})` : ''}: ${(err as Error).message}.`,
      { cause: err, details: where ? { path: where } : {} },
    );
  }
  return new CoffreError('INTERNAL', (err as Error)?.message ?? String(err), { cause: err });
}

/** Maps a Node.js file-system error to the error kind a user can act on. */
export function fsErrorCode(err: unknown): ErrorCode | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'DISK_FULL';
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      return 'DESTINATION_READ_ONLY';
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ENODEV':
    case 'ENXIO':
    case 'EIO':
    case 'ESTALE':
    case 'EHOSTDOWN':
    case 'ETIMEDOUT':
      return 'DESTINATION_UNAVAILABLE';
    default:
      return undefined;
  }
}
