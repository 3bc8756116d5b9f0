// The API's route table: one file per tab, each route with its declared right.

import type { RouteDef } from '../routes.js';
import { authRoutes } from './auth.js';
import { autoRoutes } from './auto.js';
import { backupRoutes } from './backup.js';
import { cloudRoutes } from './cloud.js';
import { eventRoutes } from './events.js';
import { fiscalRoutes } from './fiscal.js';
import { maintenanceRoutes } from './maintenance.js';
import { restoreRoutes } from './restore.js';
import { statusRoutes } from './status.js';

export const API_ROUTES: readonly RouteDef[] = [
  ...authRoutes,
  ...statusRoutes,
  ...backupRoutes,
  ...restoreRoutes,
  ...fiscalRoutes,
  ...autoRoutes,
  ...cloudRoutes,
  ...maintenanceRoutes,
  ...eventRoutes,
];
