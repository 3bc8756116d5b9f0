// The Auto tab: schedule, retention, alerts (with a test alert) and encryption.

import { z } from 'zod';
import { parseSpecArgs } from '../../index.js';
import { parse, route } from '../routes.js';

const Spec = z
  .object({ daily: z.string(), weekly: z.string(), cron: z.string() })
  .partial()
  .nullable();

const Schedule = z.object({
  backup: Spec.optional(),
  verify: Spec.optional(),
  onClose: z.boolean().optional(),
  destinations: z.array(z.string().min(1)).optional(),
  timeZone: z.string().nullable().optional(),
});

const Retention = z.object({
  destination: z.string().min(1).optional(),
  daily: z.number().int().min(0).max(1000).optional(),
  weekly: z.number().int().min(0).max(1000).optional(),
  monthly: z.number().int().min(0).max(1000).optional(),
});

// No alert command here: it runs a program on the register with the server's
// own rights, so it is set only on the machine (`coffre alerts --command`),
// like the restore hooks, never over the network.
const Alerts = z
  .object({
    command: z
      .unknown()
      .refine((v) => v === undefined, {
        message:
          'the alert command runs a program on the register, so it is set only there, with coffre alerts --command',
      })
      .optional(),
    webhook: z.string().url().nullable().optional(),
    staleAfterHours: z.number().positive().nullable().optional(),
  })
  .strict();

const Encryption = z.object({ recipients: z.array(z.string().startsWith('age1')).max(20) });

export const autoRoutes = [
  route({
    method: 'GET',
    url: '/api/schedule',
    access: 'export+settings',
    handler: ({ center }) => center.scheduleInfo(),
  }),
  route({
    method: 'PUT',
    url: '/api/schedule',
    access: 'export+settings',
    handler: ({ center, req }) => {
      const p = parse(Schedule, req.body);
      const spec = (s: z.infer<typeof Spec> | undefined) =>
        s === undefined ? undefined : s === null ? null : parseSpecArgs(s);
      return center.setSchedule({
        ...(p.backup !== undefined ? { backup: spec(p.backup) } : {}),
        ...(p.verify !== undefined ? { verify: spec(p.verify) } : {}),
        ...(p.onClose !== undefined ? { onClose: p.onClose } : {}),
        ...(p.destinations !== undefined ? { destinations: p.destinations } : {}),
        ...(p.timeZone !== undefined ? { timeZone: p.timeZone } : {}),
      });
    },
  }),
  route({
    method: 'PUT',
    url: '/api/retention',
    access: 'export+settings',
    handler: ({ center, req }) => {
      const { destination, ...patch } = parse(Retention, req.body);
      return center.setRetention(patch, destination);
    },
  }),
  route({
    method: 'GET',
    url: '/api/alerts',
    access: 'export+settings',
    handler: ({ center }) => center.alerts,
  }),
  route({
    method: 'PUT',
    url: '/api/alerts',
    access: 'export+settings',
    handler: ({ center, req }) => {
      const { webhook, staleAfterHours } = parse(Alerts, req.body);
      return center.setAlerts({
        ...(webhook !== undefined ? { webhook } : {}),
        ...(staleAfterHours !== undefined ? { staleAfterHours } : {}),
      });
    },
  }),
  route({
    method: 'POST',
    url: '/api/alerts/test',
    access: 'export+settings',
    handler: async ({ center }) => ({
      problems: await center.sendAlert('test', 'A test alert from the Backup center.'),
    }),
  }),
  route({
    method: 'POST',
    url: '/api/encryption/new-key',
    access: 'export+settings',
    // The secret key is in this one response, for the recovery printout; never stored by the server.
    handler: ({ center }) => center.newEncryptionKey(null),
  }),
  route({
    method: 'PUT',
    url: '/api/encryption',
    access: 'export+settings',
    handler: async ({ center, req }) => {
      const { recipients } = parse(Encryption, req.body);
      await center.setEncryption({ recipients, passphraseFile: null });
      return { recipients };
    },
  }),
];
