// The one place where an error code becomes an HTTP status, and where an
// error becomes the JSON the page shows: {error: {code, message}} with the
// library's words (which never name CLI flags) and never a stack.

import { asCoffreError, type ErrorCode } from '../index.js';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  USAGE: 400,
  NOT_INITIALIZED: 503,
  CONFIG_INVALID: 500,
  HOME_UNAVAILABLE: 503,
  IDENTITY_INVALID: 500,
  ALREADY_INITIALIZED: 409,
  SOURCE_UNAVAILABLE: 503,
  NOT_A_DATABASE: 500,
  ENCRYPTION_REQUIRED: 409,
  KEY_REQUIRED: 422,
  WRONG_KEY: 422,
  CORRUPT_ARCHIVE: 422,
  BAD_SIGNATURE: 422,
  FOREIGN_REGISTER: 422,
  UNSUPPORTED_FORMAT: 422,
  BACKUP_NOT_FOUND: 404,
  DESTINATION_UNAVAILABLE: 503,
  DESTINATION_READ_ONLY: 503,
  DESTINATION_AUTH: 502,
  QUOTA_EXCEEDED: 507,
  UNENCRYPTED_UPLOAD: 409,
  DISK_FULL: 507,
  BUSY: 409,
  SCHEMA_TOO_NEW: 409,
  RESTORE_CONFLICT: 409,
  SECRET_FILE_UNSAFE: 500,
  APP_RUNNING: 409,
  CANCELLED: 409,
  AUTH_REQUIRED: 401,
  FORBIDDEN: 403,
  INTERNAL: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** Details safe to show a browser: plain values only, never a path or a cause. */
const SHOWN_DETAILS = [
  'retryAfterSeconds',
  'destination',
  'user',
  'field',
  'confirm',
  'login',
  'fiscalRewind',
];

/**
 * The status and body for any error. An unexpected one (INTERNAL) shows a
 * generic sentence and the id under which the server logged it.
 */
export function toHttpError(
  err: unknown,
  errorId: string,
): { status: number; body: ErrorBody; retryAfter: number | null } {
  const e = asCoffreError(err);
  const status =
    e.code === 'AUTH_REQUIRED' && typeof e.details.retryAfterSeconds === 'number'
      ? 429
      : HTTP_STATUS[e.code];
  const details: Record<string, unknown> = {};
  for (const k of SHOWN_DETAILS) if (e.details[k] !== undefined) details[k] = e.details[k];
  const message =
    e.code === 'INTERNAL'
      ? `Something unexpected happened (error id ${errorId}). The server's log has its details.`
      : e.message;
  return {
    status,
    body: {
      error: {
        code: e.code,
        message,
        ...(Object.keys(details).length > 0 ? { details } : {}),
      },
    },
    retryAfter:
      typeof e.details.retryAfterSeconds === 'number' ? e.details.retryAfterSeconds : null,
  };
}
