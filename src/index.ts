// The library entry point for apps that embed Coffre.

export { BackupCenter } from './center.js';
export { readIdentityFiles, readSecretFile } from './state/secrets.js';
export type {
  BackupEntry,
  BackupOptions,
  BackupResult,
  DestinationInfo,
  InitOptions,
  Progress,
  StatusReport,
  VerifyOptions,
  VerifyReport,
} from './center.js';
export { CoffreError, ERROR_CODES, isCoffreError, type ErrorCode } from './core/errors.js';
export type { ArchiveHeader, Origin, Sidecar } from './core/manifest.js';
export { generateAgeKeyPair, recipientOf } from './archive/age.js';
