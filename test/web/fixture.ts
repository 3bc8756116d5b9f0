// The page's test bench: a demo register in a temporary home (optionally
// with an external folder and a cloud bucket on the real S3 test server),
// two users (an admin and an accountant), the real server listening on
// 127.0.0.1, and Debian's Chromium driven by playwright-core. Shared by the
// browser tests and `npm run screenshots`.

import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BackupCenter } from '../../src/index.js';
import { createServer } from '../../src/server/index.js';
import { removeDir, tempDir } from '../helpers.js';
import { startS3Server, type S3Server } from '../s3.js';

export const PASSWORD = 'correct horse battery staple';
export const CHROMIUM = '/usr/bin/chromium';

export interface PageFixture {
  url: string;
  home: string;
  center: BackupCenter;
  app: FastifyInstance;
  s3: S3Server | null;
  /** Closes the server and the center and opens both again on the same home and port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startPage(
  options: { cloud?: boolean; external?: boolean; backups?: number; receipts?: number } = {},
): Promise<PageFixture> {
  const root = tempDir('coffre-page-');
  const home = path.join(root, 'home');
  await BackupCenter.createDemo(home, {
    profile: 'pos',
    receipts: options.receipts ?? 255,
    images: 24,
  });
  const s3 = options.cloud ? await startS3Server(['shop']) : null;
  const credentials = s3
    ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
    : null;
  const open = () => BackupCenter.open(home, { cloudCredentials: credentials });
  let center = await open();
  if (options.external) {
    const usb = path.join(root, 'usb');
    fs.mkdirSync(usb);
    await center.addDestination('usb', { kind: 'external', path: usb });
  }
  if (s3) {
    await center.addDestination('cloud', {
      kind: 's3',
      endpoint: s3.endpoint,
      bucket: 'shop',
      prefix: 'registers/',
      pathStyle: true,
      quota: '50MB',
      allowUnencrypted: true,
    });
  }
  await center.users.add('admin', PASSWORD, ['export', 'settings']);
  await center.users.add('accountant', PASSWORD, ['export']);
  const all = ['local', ...Object.keys(center.configuration.destinations)];
  for (let i = 0; i < (options.backups ?? 0); i++) {
    await center.backup({ to: all, note: i === 0 ? 'first backup' : null });
  }
  let app = await createServer(center);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const fixture: PageFixture = {
    url: `http://127.0.0.1:${port}`,
    home,
    center,
    app,
    s3,
    async restart() {
      await app.close();
      center.close();
      center = await open();
      app = await createServer(center);
      await app.listen({ host: '127.0.0.1', port });
      fixture.center = center;
      fixture.app = app;
    },
    async close() {
      await app.close();
      center.close();
      await s3?.stop();
      removeDir(root);
    },
  };
  return fixture;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Signs in through the login form, as a person would. */
export async function signIn(page: Page, url: string, user = 'admin'): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/status$/);
}

/** The restore wizard up to its plan: the oldest backup (the list's last line), everything. */
export async function planOldest(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/restore`);
  await page.locator('table.pick input[type=radio]').last().check();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('heading', { name: 'What to restore' }).waitFor();
  await page.getByLabel('Everything').check();
  await page.getByRole('button', { name: 'Show the plan' }).click();
  await page.getByRole('heading', { name: 'The plan' }).waitFor();
}
