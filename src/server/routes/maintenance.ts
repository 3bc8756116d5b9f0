// The Maintenance tab: the cleanup preview and its application, deleting or
// verifying one backup, and the job history.

import { z } from 'zod';
import { BACKUP_ID, parse, route } from '../routes.js';

const Id = z.object({ id: z.string().regex(BACKUP_ID) });
const From = z.object({ from: z.string().min(1).optional() });
const Verify = z.object({ from: z.string().min(1).optional(), deep: z.boolean().optional() });
const History = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() });

export const maintenanceRoutes = [
  route({
    method: 'GET',
    url: '/api/cleanup',
    access: 'export+settings',
    handler: ({ center }) => center.retentionPlan(),
  }),
  route({
    method: 'POST',
    url: '/api/cleanup',
    access: 'export+settings',
    handler: ({ center }) => center.prune({}),
  }),
  route({
    method: 'DELETE',
    url: '/api/backups/:id',
    access: 'export+settings',
    handler: ({ center, req }) => {
      const { id } = parse(Id, req.params);
      const { from } = parse(From, req.query);
      return center.deleteBackup(id, { from });
    },
  }),
  route({
    method: 'POST',
    url: '/api/backups/:id/verify',
    access: 'export+settings',
    handler: ({ center, req }) => {
      const { id } = parse(Id, req.params);
      const { from, deep } = parse(Verify, req.body);
      return center.verify(id, { from, deep, trigger: 'page' });
    },
  }),
  route({
    method: 'GET',
    url: '/api/history',
    access: 'export+settings',
    handler: ({ center, req }) => center.history(parse(History, req.query).limit ?? 50),
  }),
];
