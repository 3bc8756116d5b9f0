// One entry per tab: the tab's content inside the common frame.

import type { Html } from './html.js';
import { page } from './layout.js';
import type {
  AutoTabData,
  BackupTabData,
  CloudTabData,
  FiscalTabData,
  MaintenanceTabData,
  PageContext,
  RestoreTabData,
} from './model.js';
import { autoTab } from './tabs/auto.js';
import { backupTab } from './tabs/backup.js';
import { cloudTab } from './tabs/cloud.js';
import { fiscalTab } from './tabs/fiscal.js';
import { maintenanceTab } from './tabs/maintenance.js';
import { restoreTab } from './tabs/restore.js';
import { statusTab } from './tabs/status.js';

export type TabView =
  | { tab: 'status' }
  | { tab: 'backup'; data: BackupTabData }
  | { tab: 'restore'; data: RestoreTabData }
  | { tab: 'fiscal'; data: FiscalTabData }
  | { tab: 'auto'; data: AutoTabData }
  | { tab: 'cloud'; data: CloudTabData }
  | { tab: 'maintenance'; data: MaintenanceTabData };

export function renderTab(ctx: PageContext, view: TabView): Html {
  switch (view.tab) {
    case 'status':
      return page(ctx, 'status', statusTab(ctx));
    case 'backup':
      return page(ctx, 'backup', backupTab(ctx, view.data));
    case 'restore':
      return page(ctx, 'restore', restoreTab(ctx, view.data));
    case 'fiscal':
      return page(ctx, 'fiscal', fiscalTab(ctx, view.data));
    case 'auto':
      return page(ctx, 'auto', autoTab(ctx, view.data));
    case 'cloud':
      return page(ctx, 'cloud', cloudTab(ctx, view.data));
    case 'maintenance':
      return page(ctx, 'maintenance', maintenanceTab(ctx, view.data));
  }
}
