// The page's one stylesheet, served at /assets/page.css. Calm colours with
// readable contrast, big touch targets for a register's 1024×768 screen,
// one column on a phone.

export const STYLE = `
:root {
  --bg: #f5f6f8; --panel: #fff; --ink: #1c2330; --muted: #5b6472; --line: #d9dde3;
  --accent: #1f5fbf; --accent-ink: #fff; --ok: #17663a; --ok-bg: #e4f4ea;
  --warn: #7a4b00; --warn-bg: #fff3d6; --bad: #a0201c; --bad-bg: #fde8e7;
  --radius: 10px; --tap: 44px;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: 16px; line-height: 1.45; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible {
  outline: 3px solid #f0a500; outline-offset: 2px;
}
h1, h2, h3 { line-height: 1.2; margin: 0 0 .6rem; }
h2 { font-size: 1.2rem; }
h3 { font-size: 1.05rem; margin-top: 1rem; }
p { margin: .4rem 0 .8rem; }
code { font-size: .9em; }
.wrap { word-break: break-all; }
.muted { color: var(--muted); }
.small { font-size: .875rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

header.top { background: var(--ink); color: #fff; padding: .6rem 1.25rem .8rem; }
header.top a { color: #fff; }
.bar { display: flex; align-items: center; gap: 1rem; flex-wrap: wrap; }
.brand { font-weight: 700; font-size: 1.15rem; text-decoration: none; }
.register { color: #c9d1dc; }
.signout { margin-left: auto; display: flex; align-items: center; gap: .5rem; }
.signout .user { color: #c9d1dc; }
.signout button.link { color: #fff; }
.summary { display: flex; gap: .4rem 2rem; flex-wrap: wrap; margin-top: .5rem; }
.summary .label { color: #aab4c2; font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; margin-right: .4rem; }
.summary .muted { color: #c9d1dc; }
.warnings { list-style: none; margin: .6rem 0 0; padding: 0; display: grid; gap: .35rem; }
.warnings li { background: var(--warn-bg); color: var(--warn); border-radius: 6px; padding: .45rem .7rem; }
.warnings li a { color: var(--warn); font-weight: 600; }

nav.tabs { display: flex; gap: .25rem; padding: 0 1rem; background: #fff; border-bottom: 1px solid var(--line); overflow-x: auto; }
nav.tabs a { display: inline-flex; align-items: center; min-height: var(--tap); padding: 0 1rem; text-decoration: none; color: var(--muted); border-bottom: 3px solid transparent; white-space: nowrap; font-weight: 500; }
nav.tabs a[aria-current="page"] { color: var(--ink); border-bottom-color: var(--accent); }
nav.tabs a:hover { color: var(--ink); }

main { max-width: 1100px; margin: 0 auto; padding: 1.25rem; }
.panel, .card { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 1.1rem 1.25rem; margin-bottom: 1.1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 1.1rem; margin-bottom: 1.1rem; }
.cards .card { margin: 0; }
.big { font-size: 1.35rem; font-weight: 600; margin: .2rem 0; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 1.5rem; }

dl.facts { margin: 0; }
dl.facts .row { display: flex; justify-content: space-between; gap: 1rem; padding: .3rem 0; border-bottom: 1px solid #eef0f3; }
dl.facts .row:last-child { border-bottom: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; text-align: right; }

table.list { width: 100%; border-collapse: collapse; }
table.list th, table.list td { text-align: left; padding: .55rem .5rem; border-bottom: 1px solid #eef0f3; vertical-align: top; }
table.list thead th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; }
table.list.compact td { padding: .35rem .5rem; }
table.list tr.lose td { background: #fff7f6; }
table.list tr.own td { background: #f2f7ff; }
table.list th.section-row { background: #f7f8fa; font-weight: 600; }
.table-scroll { overflow-x: auto; }
td.row-actions { text-align: right; white-space: nowrap; }
td.nowrap { white-space: nowrap; }
td.row-actions form.inline { margin-left: .4rem; }
table.list td:first-child { white-space: nowrap; }
table.pick input[type=radio] { width: 1.4rem; height: 1.4rem; }

.badge { white-space: nowrap; display: inline-block; padding: .1rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600; background: #eef0f3; color: var(--ink); }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.error-text { color: var(--bad); }
.warn-text { color: var(--warn); }

.flash { border-radius: 8px; padding: .7rem .9rem; margin: 0 0 1rem; }
.flash.ok { background: var(--ok-bg); color: var(--ok); }
.flash.error { background: var(--bad-bg); color: var(--bad); }
.flash.error a { color: var(--bad); font-weight: 600; }
.result { border-radius: 8px; padding: .8rem 1rem; margin: .6rem 0; }
.result.ok { background: var(--ok-bg); color: var(--ok); }
.result.warn { background: var(--warn-bg); color: var(--warn); }
.result.bad { background: var(--bad-bg); color: var(--bad); }
.result h2, .result h3 { color: inherit; }
.result ul { margin: .3rem 0 0; padding-left: 1.2rem; }
.findings { margin: .4rem 0; padding-left: 1.2rem; }

form.stack { display: grid; gap: .45rem; }
form.stack.narrow { max-width: 30rem; }
form.inline { display: inline; }
label { font-weight: 500; }
input[type=text], input[type=password], input[type=url], input[type=number], input[type=time], input[type=file], select, textarea {
  font: inherit; min-height: var(--tap); padding: .5rem .7rem; border: 1px solid #b5bcc7; border-radius: 8px; background: #fff; color: var(--ink); width: 100%;
}
input.num { max-width: 7rem; }
textarea { min-height: 5rem; font-family: ui-monospace, monospace; font-size: .9rem; }
fieldset { border: 0; padding: 0; margin: .3rem 0; }
legend { font-weight: 600; margin-bottom: .4rem; padding: 0; }
.choices { display: grid; gap: .4rem; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
.choices.indent { margin-left: 2rem; }
label.choice { display: flex; align-items: center; gap: .7rem; min-height: var(--tap); padding: .35rem .7rem; border: 1px solid var(--line); border-radius: 8px; background: #fff; font-weight: 400; cursor: pointer; }
label.choice.off { opacity: .65; cursor: not-allowed; }
label.choice span { display: flex; flex-direction: column; }
label.choice input { width: 1.3rem; height: 1.3rem; flex: none; }
.grid-fields { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: .7rem; }
.grid-fields > div { display: grid; gap: .3rem; align-content: start; }
.actions { display: flex; gap: .6rem; flex-wrap: wrap; margin-top: .5rem; align-items: center; }

button, .button {
  font: inherit; font-weight: 600; min-height: var(--tap); padding: .5rem 1.1rem; border-radius: 8px; border: 1px solid #b5bcc7; background: #fff; color: var(--ink); cursor: pointer; text-decoration: none; display: inline-flex; align-items: center; justify-content: center;
}
button:hover, .button:hover { background: #f0f2f5; }
button.primary, .button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
button.primary:hover, .button.primary:hover { background: #184d9c; }
button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
button.danger:hover { background: #861a17; }
button.link { background: none; border: 0; color: var(--accent); text-decoration: underline; padding: 0 .2rem; min-height: 0; font-weight: 500; }
button.wide { width: 100%; }
button[disabled] { opacity: .5; cursor: not-allowed; }

.progress { display: grid; gap: .35rem; margin: .5rem 0; }
.progress-label { display: flex; gap: 1rem; flex-wrap: wrap; }
.progress-label [data-phase] { font-weight: 600; }
progress { width: 100%; height: 1.1rem; accent-color: var(--accent); }
progress.full { accent-color: var(--bad); }
.live.idle .progress, .live.idle .cancel { display: none; }
.dest-results { list-style: none; padding: 0; }
.dest-results li { padding: .2rem 0; }

ol.steps { list-style: none; display: flex; gap: .3rem; padding: 0; margin: 0 0 1rem; flex-wrap: wrap; counter-reset: step; }
ol.steps li { counter-increment: step; padding: .35rem .8rem; border-radius: 999px; background: #e9ecf0; color: var(--muted); font-size: .9rem; }
ol.steps li::before { content: counter(step) ". "; }
ol.steps li.done { background: var(--ok-bg); color: var(--ok); }
ol.steps li.now { background: var(--accent); color: #fff; font-weight: 600; }
.chosen { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .6rem .9rem; }

.recovery { border: 2px solid var(--bad); border-radius: var(--radius); padding: 1rem; margin: .8rem 0; background: #fffafa; }
pre.key { background: #1c2330; color: #fff; padding: .8rem; border-radius: 8px; white-space: pre-wrap; word-break: break-all; font-size: 1rem; }

details { border: 1px solid var(--line); border-radius: 8px; padding: .4rem .8rem; margin: .5rem 0; }
summary { cursor: pointer; min-height: var(--tap); display: flex; align-items: center; gap: .4rem; flex-wrap: wrap; }

body.plain { background: var(--bg); }
main.login { max-width: 24rem; margin: 10vh auto; background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); padding: 1.6rem; }

@media (max-width: 700px) {
  nav.tabs { flex-wrap: wrap; padding: 0 .3rem; gap: 0; }
  nav.tabs a { padding: 0 .6rem; }
  main { padding: .8rem; }
  header.top { padding: .6rem .8rem; }
  .two { grid-template-columns: 1fr; }
  .summary { flex-direction: column; }
  .panel, .card { padding: .9rem; }
  table.list thead { display: none; }
  table.list tr { display: block; border-bottom: 1px solid var(--line); padding: .4rem 0; }
  table.list td, table.list th { display: block; border: 0; padding: .15rem .2rem; }
  table.retention tr { display: grid; grid-template-columns: repeat(4, 1fr); gap: .3rem; }
  table.retention th { grid-column: 1 / -1; }
  table.list td[data-label]::before { content: attr(data-label) ': '; color: var(--muted); font-size: .85rem; }
  td.row-actions { text-align: left; white-space: normal; }
  td.row-actions form.inline { margin: .4rem 0 0; display: block; }
  main.login { margin: 1rem; }
}
@media print {
  header.top, nav.tabs, form, .actions { display: none; }
}
`;
