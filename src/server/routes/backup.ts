// The Backup tab: back up now to chosen destinations with a note, and cancel
// a running backup. Progress goes to the live feed (/api/events); the result
// names each destination that got the backup and each that did not.

import { z } from 'zod';
import { parse, route } from '../routes.js';

const BackupNow = z.object({
  to: z.array(z.string().min(1)).optional(),
  note: z.string().max(500).optional(),
});

const JobId = z.object({ id: z.coerce.number().int().min(1) });

export const backupRoutes = [
  route({
    method: 'POST',
    url: '/api/backup',
    access: 'export+settings',
    handler: ({ center, req }) => {
      const { to, note } = parse(BackupNow, req.body);
      return center.backup({ to, note: note ?? null, trigger: 'page' });
    },
  }),
  route({
    method: 'POST',
    url: '/api/jobs/:id/cancel',
    access: 'export+settings',
    handler: ({ center, req }) => center.cancelJob(parse(JobId, req.params).id),
  }),
  route({
    method: 'GET',
    url: '/api/destinations',
    access: 'export+settings',
    handler: ({ center }) => center.destinations(),
  }),
];
