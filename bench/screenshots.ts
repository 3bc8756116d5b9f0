// npm run screenshots: the Backup center of a demo register (an external
// folder and a cloud bucket on the local S3 test server, a few backups) in
// real headless Chromium, one PNG per tab under docs/screenshots/, plus the
// sign-in page and the Status tab at a phone's width.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, signIn, startPage } from '../test/web/fixture.js';
import { TABS } from '../src/web/model.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// `npm run screenshots -- <folder>` writes them elsewhere (to look at before committing).
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs', 'screenshots'));

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const fixture = await startPage({ cloud: true, external: true, backups: 3 });
  // Auto and Fiscal show the schedule's fiscal archives at work.
  await fixture.center.setSchedule({ fiscal: 'monthly' });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    await page.goto(`${fixture.url}/login`);
    await page.screenshot({ path: path.join(OUT, 'login.png') });
    await signIn(page, fixture.url);
    for (const tab of TABS) {
      await page.goto(`${fixture.url}/${tab}`);
      await page.screenshot({ path: path.join(OUT, `${tab}.png`), fullPage: true });
      console.log(path.join(OUT, `${tab}.png`));
    }
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await signIn(phone, fixture.url);
    await phone.screenshot({ path: path.join(OUT, 'phone-status.png'), fullPage: true });
    await phone.goto(`${fixture.url}/backup`);
    await phone.screenshot({ path: path.join(OUT, 'phone-backup.png'), fullPage: true });
    console.log(path.join(OUT, 'login.png, phone-status.png, phone-backup.png'));
  } finally {
    await browser.close();
    await fixture.close();
  }
}

await main();
