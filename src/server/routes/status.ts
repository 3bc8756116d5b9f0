// The Status tab (and the header of every tab): what the status service reports.

import { route } from '../routes.js';

export const statusRoutes = [
  route({
    method: 'GET',
    url: '/api/status',
    access: 'signed-in',
    handler: ({ center }) => center.status(),
  }),
];
