// The restore wizard in real headless Chromium when a restore would take
// receipts out of the fiscal chain: the confirm step says which (from the
// plan) and asks for a tick box that the server checks itself; without it
// nothing is restored and no fiscal archive is made; with it the fiscal
// archive is written first and the result names it. And when receipts come
// in after the plan was shown, the service's own question stops the restore
// and the page shows the new plan with its box.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import type { Browser, Page } from 'playwright-core';
import { addDemoReceipt } from '../../src/source/demo.js';
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
let db: string;

before(async () => {
  fixture = await startPage({ backups: 1, receipts: 40 });
  db = path.resolve(fixture.home, fixture.center.configuration.source.database);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await fixture?.close();
});

function receipts(): number {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT count(*) FROM receipts').pluck().get() as number;
  } finally {
    d.close();
  }
}

function sell(n: number): void {
  const live = new Database(db);
  try {
    for (let i = 0; i < n; i++) addDemoReceipt(live, new Date(Date.now() + i * 60_000));
  } finally {
    live.close();
  }
}

async function fillConfirm(page: Page): Promise<void> {
  await page.getByLabel('Type RESTORE to confirm').fill('RESTORE');
  await page.getByLabel('Your password').fill(PASSWORD);
}

/**
 * Waits for what the page shows once the restore job ended: the page reloads
 * itself when the job it follows ends, and also when the job ended before
 * its live feed opened (a restore that cancels at once), so no reload here.
 */
async function afterJob(page: Page, selector: string): Promise<void> {
  await page.locator(selector).first().waitFor({ timeout: 120_000 });
}

describe('the restore wizard and a fiscal rewind', () => {
  it('shows what leaves the chain, refuses without the tick box, then archives and restores', async () => {
    const center = fixture.center;
    const [backup] = (await center.list()).backups;
    sell(3);
    assert.equal(receipts(), 43);
    // What the service's plan says; the page shows these facts.
    const expected = (await center.restore(backup.id, { confirm: () => false })).plan.fiscalRewind!;
    assert.equal(expected.rewind.records.count, 3);

    const page = await browser.newPage();
    await signIn(page, fixture.url);
    await planOldest(page, fixture.url);
    const box = page.locator('[data-fiscal-rewind]');
    const shown = await box.innerText();
    assert.match(shown, /Fiscal records leave the chain/);
    assert.ok(
      shown.includes(expected.message.charAt(0).toUpperCase() + expected.message.slice(1)),
      shown,
    );
    assert.match(shown, /^Receipts #41–#43 \(/m);
    const tick = page.getByLabel(/I understand that this restore takes 3 receipts/);
    assert.match(
      (await page.locator('label[for=fiscal-ok]').innerText()).replace(/\s+/g, ' '),
      /a fiscal archive of the dropped records is written first/,
    );
    assert.equal(await tick.isChecked(), false);
    assert.equal(await tick.evaluate((i) => (i as HTMLInputElement).required), true);

    // The browser's `required` taken away: the server refuses on its own.
    await fillConfirm(page);
    await tick.evaluate((i) => i.removeAttribute('required'));
    await page.getByRole('button', { name: 'Restore now' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(
      await page.getByRole('alert').innerText(),
      /Nothing was restored: this restore takes fiscal records out of the register's chain.*tick the box/,
    );
    assert.equal(receipts(), 43, 'nothing restored');
    assert.deepEqual((await center.fiscalArchives()).archives, [], 'no fiscal archive');
    // Still on the plan, with the box.
    await page.getByRole('heading', { name: 'The plan' }).waitFor();

    await fillConfirm(page);
    await tick.check();
    await page.getByRole('button', { name: 'Restore now' }).click();
    await afterJob(page, 'h2:has-text("Restore done")');
    assert.equal(receipts(), 40, 'the backup’s receipts are back');
    const archives = (await center.fiscalArchives()).archives.filter((a) => a.kind === 'rewind');
    assert.ok(archives.length > 0, 'a fiscal archive of the rewind');
    assert.ok(archives.every((a) => a.records === 3));
    const named = await page.locator('[data-fiscal-archive]').innerText();
    assert.ok(named.includes(archives[0].archive), named);
    await page.close();
  });

  it('stops a restore whose plan gained a rewind after it was shown, and shows the new plan', async () => {
    const center = fixture.center;
    const page = await browser.newPage();
    await signIn(page, fixture.url);
    await planOldest(page, fixture.url);
    // Nothing to lose yet: no box.
    assert.equal(await page.locator('[data-fiscal-rewind]').count(), 0);
    assert.equal(await page.locator('#fiscal-ok').count(), 0);
    sell(2);
    const before = (await center.fiscalArchives()).archives.length;
    await fillConfirm(page);
    await page.getByRole('button', { name: 'Restore now' }).click();
    await afterJob(page, '[role=alert]');
    assert.match(
      await page.getByRole('alert').innerText(),
      /records were added since the plan was shown/,
    );
    assert.equal(receipts(), 42, 'nothing restored');
    assert.equal((await center.fiscalArchives()).archives.length, before, 'no new fiscal archive');
    assert.match(await page.locator('[data-fiscal-rewind]').innerText(), /^Receipts #41–#42 \(/m);
    assert.match(
      await page.locator('label[for=fiscal-ok]').innerText(),
      /this restore takes 2 receipts \(#41–#42\) out of the fiscal chain/,
    );
    await page.close();
  });
});
