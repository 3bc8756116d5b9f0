// The page's templating: every value escaped unless it is markup the helper
// made; and which tabs each right opens.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import { html, trusted } from '../../src/web/html.js';
import { SCRIPT } from '../../src/web/assets/script.js';
import { tabsFor } from '../../src/web/model.js';

// Not named `html`, so that Prettier leaves the markup of these literals as written.
const h = html;

describe('html', () => {
  it('escapes every interpolated value', () => {
    const name = `<script>alert("x")</script>&'`;
    assert.equal(
      h`<p title="${name}">${name}</p>`.value,
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
  });

  it('keeps markup it made, joins arrays and prints nothing for null, undefined and false', () => {
    const items = ['a<b', 'c'].map((x) => h`<li>${x}</li>`);
    assert.equal(
      h`<ul>${items}</ul>${null}${undefined}${false}${0}`.value,
      '<ul><li>a&lt;b</li><li>c</li></ul>0',
    );
    assert.equal(h`${trusted('<br>')}`.value, '<br>');
  });
});

describe('tabs per right', () => {
  it('gives the seven tabs to both rights, Status and Fiscal to Export data alone', () => {
    assert.equal(tabsFor({ exportData: true, manageSettings: true }).length, 7);
    assert.deepEqual(tabsFor({ exportData: true, manageSettings: false }), ['status', 'fiscal']);
    assert.deepEqual(tabsFor({ exportData: false, manageSettings: true }), ['status']);
  });
});

describe('the page script', () => {
  it('is valid JavaScript (it is served as a string)', () => {
    // Compiled, not run: a syntax error (an escape lost in the template) throws here.
    assert.doesNotThrow(() => new vm.Script(SCRIPT));
  });
});
