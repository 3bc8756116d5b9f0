// The Fiscal tab: the audit, the fiscal archives and the export of a closed
// period. An accountant (Export data alone) may use all of it.

import { z } from 'zod';
import { parse, route } from '../routes.js';

const Export = z.object({
  period: z.string().min(4).max(40),
  to: z.array(z.string().min(1)).optional(),
});

export const fiscalRoutes = [
  route({
    method: 'GET',
    url: '/api/fiscal/audit',
    access: 'export',
    handler: ({ center }) => center.fiscalAudit(),
  }),
  route({
    method: 'GET',
    url: '/api/fiscal/archives',
    access: 'export',
    handler: ({ center }) => center.fiscalArchives(),
  }),
  route({
    method: 'POST',
    url: '/api/fiscal/export',
    access: 'export',
    handler: ({ center, req }) => {
      const { period, to } = parse(Export, req.body);
      return center.fiscalExport({ period, destinations: to });
    },
  }),
];
