// The Cloud tab: space used, quota and retention per cloud destination, and
// the backups there; downloads go through the archive routes (restore.ts).

import { route } from '../routes.js';

export const cloudRoutes = [
  route({
    method: 'GET',
    url: '/api/cloud',
    access: 'export+settings',
    handler: ({ center }) => center.cloudUsage(),
  }),
];
