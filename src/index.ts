// The library entry point for apps that embed Coffre, and the only module the
// command line and the server import besides the facade: BackupCenter, the
// types of its methods, and the few pure helpers an edge needs to show them.

export { BackupCenter } from './center.js';
export type {
  BackupEntry,
  BackupOptions,
  BackupResult,
  CenterEvents,
  CloudUsage,
  DemoResult,
  DestinationInfo,
  DestinationInput,
  InitOptions,
  KeyOptions,
  OpenOptions,
  Progress,
  RestoreOptions,
  RestoreResult,
  RetentionEntry,
  RetentionReport,
  ScheduleInfo,
  StatusReport,
  VerifyOptions,
  VerifyReport,
  FiscalAudit,
  FiscalAuditOptions,
  FiscalArchiveEntry,
  FiscalExportOptions,
  FiscalExportResult,
  FiscalVerifyReport,
  JournalEntry,
  DamagedBackup,
} from './center.js';
export { splitTo } from './core/fiscal/period.js';
export type { AlertEvent } from './services/alerts.js';
export type { DeleteResult, PruneResult, RetentionPatch } from './services/maintenance.js';
export type {
  AppClosedResult,
  FiscalEvery,
  ScheduledFiscalInfo,
  ScheduledFiscalRun,
  ScheduledKind,
  ScheduledRun,
  SchedulePatch,
} from './services/schedule.js';
export type { EncryptionSettings, NewKey } from './services/settings.js';
export type { Clock } from './core/clock.js';
export {
  asCoffreError,
  CoffreError,
  ERROR_CODES,
  isCoffreError,
  type ErrorCode,
} from './core/errors.js';
export { ORIGINS, type ArchiveHeader, type Origin, type Sidecar } from './core/manifest.js';
export { formatBytes, formatSize, parseSize } from './core/quota.js';
export { DEFAULT_RETENTION, type RetentionPolicy } from './core/retention.js';
export { parseSpecArgs, type ScheduleSpec } from './core/schedule.js';
export { WARNING_CODES, type Warning, type WarningCode } from './core/warnings.js';
export { describeLoss, type RestorePlan } from './restore/plan.js';
export { readIdentityFiles, readSecretFile, type CloudCredentials } from './state/secrets.js';
export { generateAgeKeyPair, recipientOf } from './archive/age.js';
