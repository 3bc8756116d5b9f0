// The Cloud tab in real headless Chromium, against the real S3 test server
// on 127.0.0.1: the tab lists this register's cloud backups with the space
// used and the quota; Download gives the archive itself (its SHA-256 is the
// backup's); Download and restore runs the restore wizard on a backup that is
// only in the cloud, to its end, and the data changed since is back.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import type { Browser } from 'playwright-core';
import { formatBytes, type BackupEntry } from '../../src/index.js';
import { launchChromium, PASSWORD, signIn, startPage, type PageFixture } from './fixture.js';

let browser: Browser;
let fixture: PageFixture;
/** A backup made to the cloud alone: reading it means downloading it. */
let cloudOnly: BackupEntry;

before(async () => {
  fixture = await startPage({ cloud: true, backups: 1 });
  const made = await fixture.center.backup({ to: ['cloud'], note: 'only in the cloud' });
  const copies = (await fixture.center.list()).backups.filter((b) => b.id === made.id);
  assert.deepEqual(
    copies.map((b) => b.destination),
    ['cloud'],
  );
  cloudOnly = copies[0];
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await fixture?.close();
});

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

describe('the Cloud tab', () => {
  it('lists the cloud backups with the space used, the quota and the retention', async () => {
    const center = fixture.center;
    const inCloud = (await center.list()).backups.filter((b) => b.destination === 'cloud');
    assert.equal(inCloud.length, 2);
    const [usage] = await center.cloudUsage();
    assert.equal(usage.name, 'cloud');
    assert.equal(usage.ownBackups, 2);
    assert.ok(usage.usedBytes! >= cloudOnly.size);

    const page = await browser.newPage();
    await signIn(page, fixture.url);
    await page.goto(`${fixture.url}/cloud`);
    const card = await page.locator('article.card', { hasText: 'cloud' }).innerText();
    assert.ok(card.includes(formatBytes(usage.usedBytes!)), card);
    assert.ok(card.includes(`of ${formatBytes(usage.quotaBytes!)}`), card);
    assert.match(card, /2 of this register's backups · retention/);
    const bar = page.getByRole('progressbar', { name: 'Space used on cloud' });
    assert.equal(Number(await bar.getAttribute('value')), usage.percent);

    const rows = page.locator('section.panel', { hasText: 'Cloud backups' }).locator('tbody tr');
    assert.equal(await rows.count(), 2);
    const row = rows.filter({ hasText: 'only in the cloud' });
    const text = await row.innerText();
    assert.ok(text.includes(formatBytes(cloudOnly.size)), text);
    assert.match(text, /not encrypted/);
    // The fleet: this register, with its two cloud backups.
    const fleet = page.locator('section.panel', { hasText: 'Registers in the cloud' });
    assert.match(await fleet.innerText(), /this register\s[\s\S]*\b2\b/);
    await page.close();
  });

  it('downloads a cloud backup through the page: the archive whose SHA-256 is the backup’s', async () => {
    const page = await browser.newPage();
    await signIn(page, fixture.url);
    await page.goto(`${fixture.url}/cloud`);
    const row = page.locator('tbody tr', { hasText: 'only in the cloud' });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('link', { name: 'Download' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), cloudOnly.archive);
    const file = await download.path();
    assert.equal(fs.statSync(file).size, cloudOnly.size);
    assert.equal(sha256(file), cloudOnly.sha256);
    await page.close();
  });

  it('downloads and restores a backup that is only in the cloud, through the wizard to its end', async () => {
    const center = fixture.center;
    const source = center.configuration.source;
    const db = path.resolve(fixture.home, source.database);
    const images = path.resolve(fixture.home, source.files!);
    const names = (): string[] => {
      const d = new Database(db, { readonly: true });
      try {
        return d.prepare('SELECT name FROM products ORDER BY id').pluck().all() as string[];
      } finally {
        d.close();
      }
    };
    const products = names();
    const photo = (fs.readdirSync(images, { recursive: true }) as string[])
      .sort()
      .find((f) => fs.statSync(path.join(images, f)).isFile())!;
    const photoBytes = fs.readFileSync(path.join(images, photo));
    // Changes since the backup: renamed products, a lost photo, a stray file.
    const live = new Database(db);
    live.prepare("UPDATE products SET name = 'renamed ' || id").run();
    live.close();
    fs.rmSync(path.join(images, photo));
    fs.writeFileSync(path.join(images, 'stray.txt'), 'not in the backup');

    const page = await browser.newPage();
    await signIn(page, fixture.url);
    await page.goto(`${fixture.url}/cloud`);
    await page
      .locator('tbody tr', { hasText: 'only in the cloud' })
      .getByRole('button', { name: 'Download and restore' })
      .click();
    await page.getByRole('heading', { name: 'What to restore' }).waitFor();
    assert.match(await page.locator('.chosen').innerText(), /from cloud/);
    assert.match(await page.locator('.chosen').innerText(), new RegExp(cloudOnly.id));
    await page.getByLabel('Everything').check();
    await page.getByRole('button', { name: 'Show the plan' }).click();
    await page.getByRole('heading', { name: 'The plan' }).waitFor();
    assert.match(await page.locator('main').innerText(), /What will be replaced/);
    await page.getByLabel('Type RESTORE to confirm').fill('RESTORE');
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Restore now' }).click();
    await page.getByRole('heading', { name: 'Restore done' }).waitFor({ timeout: 120_000 });

    const job = center.history(5).find((j) => j.kind === 'restore');
    assert.equal(job?.result, 'ok');
    assert.equal(job?.backupId, cloudOnly.id);
    assert.deepEqual(names(), products, 'the products are back');
    assert.deepEqual(fs.readFileSync(path.join(images, photo)), photoBytes, 'the photo is back');
    assert.equal(fs.existsSync(path.join(images, 'stray.txt')), false);
    await page.close();
  });
});
