// The library entry point for apps that embed Coffre, and the only module the
// command line and the server import besides the facade: BackupCenter, the
// types of its methods, and the few pure helpers an edge needs to show them.

export { BackupCenter } from './center.js';
export type { OpenOptions } from './center.js';
export type { BackupOptions, BackupResult, Progress } from './services/backup.js';
export type { DemoResult, InitOptions } from './services/setup.js';
export type { BackupEntry, DamagedBackup } from './services/catalog.js';
export type { CloudUsage, DestinationInfo, DestinationInput } from './services/destinations.js';
export type { CenterEvents, JobFeedEvent, JobProgress } from './services/jobs.js';
export type { ReceivedArchive, UploadService } from './services/uploads.js';
export type { RetentionEntry, RetentionReport } from './services/maintenance.js';
export type { ScheduleInfo } from './services/schedule.js';
export type { StatusReport } from './services/status.js';
export type { KeyOptions, VerifyOptions, VerifyReport } from './services/verify.js';
export type { RestoreOptions, RestoreResult } from './restore/options.js';
export type { FiscalAudit } from './core/fiscal/audit.js';
export type { JournalEntry } from './core/journal.js';
export type { FiscalArchiveEntry, FiscalAuditOptions } from './fiscal/service.js';
export type { FiscalExportOptions, FiscalExportResult } from './fiscal/service.js';
export type { FiscalVerifyReport } from './fiscal/verify.js';
export type { Session, SignedIn, UserInfo, UsersOptions, UsersService } from './services/users.js';
export {
  ACCESS,
  decide,
  isAccess,
  parseRights,
  RIGHT_NAMES,
  RIGHTS,
  ROLES,
  type Access,
  type Right,
} from './core/rights.js';
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
export {
  describeFileChanges,
  describeLoss,
  type FileChanges,
  type Loss,
  type RestorePlan,
} from './restore/plan.js';
export type { AfterRestore, NextStep } from './restore/after.js';
export type { ProfileCheck } from './services/profile.js';
export type { Profile, ProfileInput } from './core/profiles.js';
export { readIdentityFiles, readSecretFile, type CloudCredentials } from './state/secrets.js';
export { generateAgeKeyPair, recipientOf } from './archive/age.js';
