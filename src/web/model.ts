// What the page shows, as plain data: the render functions take these and
// return HTML; src/web/data.ts fills them from BackupCenter. Keeping the two
// apart lets the renderers be measured and tested without a server.

import type {
  BackupEntry,
  CloudUsage,
  DestinationInfo,
  FiscalArchiveEntry,
  FiscalAudit,
  JournalEntry,
  RestorePlan,
  RestoreResult,
  RetentionPolicy,
  RetentionReport,
  ScheduledFiscalInfo,
  ScheduleInfo,
  StatusReport,
} from '../index.js';

export const TABS = [
  'status',
  'backup',
  'restore',
  'fiscal',
  'auto',
  'cloud',
  'maintenance',
] as const;
export type Tab = (typeof TABS)[number];

export const TAB_LABELS: Record<Tab, string> = {
  status: 'Status',
  backup: 'Backup',
  restore: 'Restore',
  fiscal: 'Fiscal',
  auto: 'Auto',
  cloud: 'Cloud',
  maintenance: 'Maintenance',
};

/** The register's two rights, as its product names them. */
export interface Rights {
  exportData: boolean;
  manageSettings: boolean;
}

/** Tabs a user may open: Export data alone gives Status and Fiscal. */
export function tabsFor(rights: Rights): Tab[] {
  if (rights.exportData && rights.manageSettings) return [...TABS];
  const tabs: Tab[] = ['status'];
  if (rights.exportData) tabs.push('fiscal');
  return tabs;
}

/** A job in progress, as the page follows it (from the server's live events). */
export interface LiveJob {
  id: string;
  kind: string;
  phase: string;
  done: number;
  total: number;
  startedAt: string;
}

/** One line to show after a form was posted. */
export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

/** Everything every tab shows: who is looking, the header, the token for forms. */
export interface PageContext {
  user: string;
  rights: Rights;
  csrf: string;
  now: Date;
  timeZone: string;
  status: StatusReport;
  /** The last backup job, for the header's result. */
  lastJob: { result: string; destinations: string[]; errorMessage: string | null } | null;
  /** Every destination that holds the newest backup. */
  lastCopies: string[];
  flash: Flash | null;
  running: LiveJob | null;
}

export interface BackupOutcome {
  id: string | null;
  ok: string[];
  failed: { destination: string; message: string }[];
  sizeBytes: number | null;
  durationMs: number | null;
  error: string | null;
  cancelled: boolean;
}

export interface BackupTabData {
  destinations: DestinationInfo[];
  defaults: string[];
  /** Cloud destinations, while encryption is off (each says whether it takes unencrypted backups). */
  unencryptedCloud: string[];
  last: BackupOutcome | null;
}

/** The restore wizard's state, kept by the server between steps. */
export interface RestoreDraft {
  id: string;
  step: 'key' | 'sections' | 'confirm' | 'running' | 'done';
  backup: {
    ref: string;
    from: string | null;
    createdAt: string;
    origin: string;
    encrypted: boolean;
    size: number;
    note: string | null;
    uploaded: boolean;
  };
  hasKey: boolean;
  /** Sections offered (from the full plan) and those chosen. */
  available: { name: string; label: string }[];
  chosen: string[];
  plan: RestorePlan | null;
  result: RestoreResult | null;
  error: string | null;
}

export interface RestoreTabData {
  backups: BackupEntry[];
  unavailable: { destination: string; message: string }[];
  /** Destination name to kind (local, external, s3). */
  kinds: Record<string, string>;
  draft: RestoreDraft | null;
  /** The safety backup the last restore left, for "Undo". */
  undoable: string | null;
}

export interface FiscalTabData {
  available: boolean;
  audit: FiscalAudit | null;
  auditError: string | null;
  archives: FiscalArchiveEntry[];
  destinations: string[];
  canManage: boolean;
  /** Fiscal archives made by the schedule; null: off. */
  scheduled: ScheduledFiscalInfo | null;
  /** When every record of the chain was last checked (this tab's audit or an earlier one); null: never. */
  fullAuditAt: string | null;
}

export interface AutoTabData {
  schedule: ScheduleInfo;
  /** The app's profile has a fiscal recipe: the schedule may make fiscal archives. */
  fiscalAvailable: boolean;
  destinations: DestinationInfo[];
  retention: RetentionPolicy;
  retentionByDestination: Record<string, RetentionPolicy>;
  alerts: { staleAfterHours: number | null; command: string | null; webhook: string | null };
  encryption: { recipients: string[]; passphrase: boolean };
  /** A key pair made just now: shown once, then forgotten. */
  newKey: { recipient: string; identity: string; downloadUrl: string } | null;
  unencryptedCloud: string[];
}

export interface CloudTabData {
  usage: CloudUsage[];
  backups: BackupEntry[];
  /** Every register in the cloud destinations: one line each. */
  fleet: {
    registerId: string;
    registerName: string;
    backups: number;
    bytes: number;
    newest: string;
  }[];
  unavailable: { destination: string; message: string }[];
  ownRegister: string;
}

export interface MaintenanceTabData {
  plan: RetentionReport;
  backups: BackupEntry[];
  history: {
    id: number;
    kind: string;
    startedAt: string;
    endedAt: string | null;
    result: string;
    backupId: string | null;
    destinations: string[];
    trigger: string;
    errorMessage: string | null;
  }[];
  journal: JournalEntry[];
  damaged: { destination: string; archive: string; message: string }[];
  /** The outcome of a verification just run. */
  verified: { ref: string; ok: boolean; level: string; message: string } | null;
}
