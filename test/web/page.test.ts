// The Backup center page in real headless Chromium on the demo register,
// each flow to its end: first sign-in and what each right sees, back up now
// with live progress, a restore through the wizard and its undo, a schedule
// change that survives a server restart, monthly fiscal archives set on the
// Auto tab (and what Export data alone sees), and the cleanup preview then apply.
// One browser for the file; each flow opens its own page.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  launchChromium,
  PASSWORD,
  planOldest,
  signIn,
  startPage,
  type PageFixture,
} from './fixture.js';

let browser: Browser;
let fixture: PageFixture;

before(async () => {
  fixture = await startPage({ backups: 1 });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await fixture?.close();
});

describe('the Backup center page', () => {
  it('signs in with the login form; the admin sees seven tabs, the accountant Status and Fiscal', async () => {
    const page = await browser.newPage();
    await page.goto(`${fixture.url}/backup`);
    assert.match(page.url(), /\/login\?next=%2Fbackup$/);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /user name or the password is wrong/i);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/backup$/);
    const tabs = await page.locator('nav.tabs a').allInnerTexts();
    assert.deepEqual(tabs, [
      'Status',
      'Backup',
      'Restore',
      'Fiscal',
      'Auto',
      'Cloud',
      'Maintenance',
    ]);
    const header = await page.locator('header.top').innerText();
    assert.match(header, /255 receipts · 24 images/);
    await page.close();

    const acc = await browser.newPage();
    await signIn(acc, fixture.url, 'accountant');
    assert.deepEqual(await acc.locator('nav.tabs a').allInnerTexts(), ['Status', 'Fiscal']);
    const refused = await acc.goto(`${fixture.url}/backup`);
    assert.equal(refused?.status(), 403);
    await acc.close();
  });

  it('backs up now with live progress to completion', async () => {
    // A large files folder makes the job last long enough to be watched.
    const big = fixture.center.configuration.source.files!;
    for (let i = 0; i < 6; i++) {
      fs.writeFileSync(path.join(big, `large-${i}.bin`), crypto.randomBytes(20 * 2 ** 20));
    }
    const page = await browser.newPage();
    await signIn(page, fixture.url);
    await page.goto(`${fixture.url}/backup`);
    await page.getByLabel('Note').fill('from the browser test');
    await page.getByRole('button', { name: 'Back up now' }).click();
    // The bar moves: a value strictly between 0 and 100 is seen, sent by the live feed.
    await page.waitForFunction(
      () => {
        const p = document.querySelector<HTMLProgressElement>('[data-progress] progress');
        return p !== null && p.value > 0 && p.value < 100;
      },
      undefined,
      { timeout: 60_000, polling: 20 },
    );
    const phase = await page.locator('[data-phase]').innerText();
    assert.match(phase, /snapshot|archive/i);
    await page.getByRole('heading', { name: 'Backup done' }).waitFor({ timeout: 120_000 });
    const result = await page.locator('#result').innerText();
    assert.match(result, /saved\s+local/);
    const newest = (await fixture.center.list()).backups.at(-1)!;
    assert.equal(newest.note, 'from the browser test');
    for (let i = 0; i < 6; i++) fs.rmSync(path.join(big, `large-${i}.bin`));
    await page.close();
  });

  it('restores through the wizard, then undoes the restore', async () => {
    const center = fixture.center;
    const before = (await center.status()).source.headline!.count;
    const page = await browser.newPage();
    await signIn(page, fixture.url);
    await planOldest(page, fixture.url);
    const plan = await page.locator('main').innerText();
    assert.match(plan, /What will be replaced/);
    await page.getByLabel('Type RESTORE to confirm').fill('RESTORE');
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Restore now' }).click();
    await page.getByRole('heading', { name: 'Restore done' }).waitFor({ timeout: 120_000 });
    const history = center.history(5).find((j) => j.kind === 'restore');
    assert.equal(history?.result, 'ok');
    const restored = (await center.status()).source.headline!.count;

    // Undoing throws away what was recorded since the restore: the typed word is
    // checked by the server too, not only by the browser's form validation.
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.locator('#undo-word').evaluate((input) => input.removeAttribute('required'));
    await page.locator('#undo-word').evaluate((input) => input.removeAttribute('pattern'));
    await page.getByRole('button', { name: 'Undo this restore' }).click();
    await page.locator('.flash.error').waitFor();
    assert.match(await page.locator('main').innerText(), /Type RESTORE to confirm the restore/);
    assert.equal((await center.status()).source.headline!.count, restored, 'nothing undone');
    await page.getByLabel('Type RESTORE to confirm').fill('RESTORE');
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Undo this restore' }).click();
    await page.locator('.flash.ok').waitFor({ timeout: 120_000 });
    assert.match(await page.locator('.flash.ok').innerText(), /undone/);
    assert.equal((await center.status()).source.headline!.count, before);
    await page.close();
  });

  it('keeps a schedule change across a server restart', async () => {
    const page = await browser.newPage();
    await signIn(page, fixture.url);
    await page.goto(`${fixture.url}/auto`);
    await page.locator('#backup-every').selectOption('week');
    await page.locator('#backup-day').selectOption('tue');
    await page.locator('#backup-at').fill('21:15');
    await page.getByRole('button', { name: 'Save the schedule' }).click();
    await page.locator('.flash.ok').waitFor();
    await fixture.restart();
    // Sessions live in the state database: still signed in after the restart.
    await page.goto(`${fixture.url}/auto`);
    assert.equal(await page.locator('#backup-every').inputValue(), 'week');
    assert.equal(await page.locator('#backup-day').inputValue(), 'tue');
    assert.equal(await page.locator('#backup-at').inputValue(), '21:15');
    assert.match(await page.locator('main').innerText(), /every Tuesday at 21:15/);
    await page.close();
  });

  it('sets monthly fiscal archives on the Auto tab, keeps them, and shows them on Fiscal and Status', async () => {
    const page = await browser.newPage();
    await signIn(page, fixture.url);
    await page.goto(`${fixture.url}/auto`);
    const every = page.locator('#fiscal-every');
    assert.equal(await every.inputValue(), 'off');
    await every.selectOption({ label: 'Every month' });
    await page.getByRole('button', { name: 'Save the schedule' }).click();
    await page.locator('.flash.ok').waitFor();
    // Saved through the schedule service, as `coffre schedule set --fiscal monthly` does.
    assert.equal(fixture.center.scheduleInfo().fiscal?.every, 'monthly');
    await page.reload();
    assert.equal(await page.locator('#fiscal-every').inputValue(), 'monthly');
    const due = await page.locator('[data-fiscal-due]').innerText();
    assert.match(due, /^(Next: \d{4}-\d{2}, on \d{4}-\d{2}-01\.|The archives? of .* due now\.)/);

    await page.goto(`${fixture.url}/fiscal`);
    const automatic = await page.locator('#automatic').innerText();
    assert.match(automatic, /\bon\b[\s\S]*One archive every month/);
    assert.match(automatic, /Change this in the Auto tab/);
    assert.match(await page.locator('[data-full-check]').innerText(), /whole chain/);
    await page.goto(`${fixture.url}/status`);
    assert.match(await page.locator('main').innerText(), /Fiscal archives\s+every month/);
    await page.close();

    // Export data alone: the state is shown, the control and the way to it are not.
    const acc = await browser.newPage();
    await signIn(acc, fixture.url, 'accountant');
    await acc.goto(`${fixture.url}/fiscal`);
    assert.match(await acc.locator('#automatic').innerText(), /One archive every month/);
    assert.equal(await acc.locator('#automatic a[href^="/auto"]').count(), 0);
    assert.equal(await acc.locator('select[name=fiscalEvery]').count(), 0);
    assert.equal((await acc.goto(`${fixture.url}/auto`))?.status(), 403);
    await acc.close();
  });

  it('previews the cleanup, then applies it', async () => {
    const center = fixture.center;
    // Retention would run after each; the cleanup is what should apply it here.
    for (let i = 0; i < 3; i++) await center.backup({ origin: 'automatic', applyRetention: false });
    const plan = await center.retentionPlan();
    const doomed = plan.entries.filter((e) => !e.keep).map((e) => e.id);
    assert.ok(doomed.length >= 2, 'same-day automatic backups: all but the newest go');
    const page = await browser.newPage();
    await signIn(page, fixture.url);
    await page.goto(`${fixture.url}/maintenance`);
    const preview = await page.locator('#cleanup').innerText();
    assert.match(preview, new RegExp(`${doomed.length} backups would be deleted`));
    for (const id of doomed) assert.ok(preview.includes(id), `${id} shown as deleted`);
    await page.getByLabel(/Delete the \d+ backups marked/).check();
    await page.getByRole('button', { name: 'Apply the cleanup' }).click();
    await page.locator('.flash.ok').waitFor();
    assert.match(
      await page.locator('.flash.ok').innerText(),
      new RegExp(`${doomed.length} backups deleted`),
    );
    const left = new Set((await center.list()).backups.map((b) => b.id));
    for (const id of doomed) assert.ok(!left.has(id), `${id} deleted`);
    await page.close();
  });
});
