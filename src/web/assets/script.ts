// The page's one script, served at /assets/page.js (the CSP allows no inline
// code). Everything works without it; it adds live progress over
// server-sent events, shows only the schedule fields that apply, and asks
// before a delete.

export const SCRIPT = `
(function () {
  'use strict';
  var PHASES = {
    snapshot: 'Taking a snapshot of the database',
    archive: 'Writing the archive',
    read: 'Reading the archive',
    download: 'Downloading',
    check: 'Checking the fingerprint and the contents',
    safety: 'Taking a safety backup',
    apply: 'Applying the restore'
  };
  function size(n) {
    if (n < 1024) return n + ' B';
    var u = ['KiB', 'MiB', 'GiB', 'TiB'], i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < u.length - 1);
    return n.toFixed(n < 10 ? 1 : 0) + ' ' + u[i];
  }
  function eta(job) {
    if (!job.total || !job.done || !job.startedAt) return '';
    var elapsed = (Date.now() - Date.parse(job.startedAt)) / 1000;
    if (elapsed < 1 || job.done >= job.total) return '';
    var left = elapsed * (job.total - job.done) / job.done;
    return left < 60 ? 'about ' + Math.ceil(left) + ' s left' : 'about ' + Math.ceil(left / 60) + ' min left';
  }

  // Live progress: the server's job feed (/api/events) sends "started",
  // "progress" and "ended" for every job, this process's or another's.
  var bars = document.querySelectorAll('[data-progress]');
  var live = document.querySelector('.live');
  var firstSeen = {};
  function show(job) {
    if (live) live.classList.remove('idle');
    var idle = document.querySelector('[data-idle]');
    if (idle) idle.textContent = 'A ' + job.kind + ' is running.';
    var field = document.querySelector('[data-job-field]');
    if (field) field.value = job.id;
    var cancel = document.querySelector('form.cancel');
    if (cancel && job.kind === 'backup') cancel.hidden = false;
    bars.forEach(function (bar) {
      bar.setAttribute('data-job', job.id);
      var pct = job.total > 0 ? Math.min(100, Math.round(job.done * 100 / job.total)) : 0;
      var p = bar.querySelector('progress');
      if (p) { p.value = pct; p.textContent = pct + ' %'; }
      var ph = bar.querySelector('[data-phase]');
      if (ph && job.phase) ph.textContent = PHASES[job.phase] || job.phase;
      var d = bar.querySelector('[data-detail]');
      if (d) d.textContent = job.total > 0 ? size(job.done) + ' of ' + size(job.total) : '';
      var e = bar.querySelector('[data-eta]');
      if (e) e.textContent = eta(job);
    });
  }
  if (bars.length > 0 && window.EventSource) {
    var source = new EventSource('/api/events');
    var following = document.querySelector('[data-progress][data-job]');
    var followed = following ? following.getAttribute('data-job') : null;
    // A job that ended between this page's rendering and the feed's opening
    // sends nothing more: the feed names running jobs right after "hello",
    // so a page waiting for an end that hears of none shows the result.
    var heard = false;
    var awaiting = followed !== null || document.querySelector('[data-await-end]') !== null;
    source.addEventListener('hello', function () {
      if (!awaiting) return;
      setTimeout(function () {
        if (!heard) {
          source.close();
          window.location.reload();
        }
      }, 1500);
    });
    source.addEventListener('started', function (ev) {
      var job = JSON.parse(ev.data);
      if (job.kind === 'verify') return;
      heard = true;
      followed = String(job.id);
      firstSeen[followed] = job.startedAt;
      show({ id: followed, kind: job.kind, phase: '', done: 0, total: 0 });
    });
    source.addEventListener('progress', function (ev) {
      var p = JSON.parse(ev.data);
      if (p.kind === 'verify') return;
      heard = true;
      var id = String(p.jobId);
      followed = id;
      if (!firstSeen[id]) firstSeen[id] = new Date().toISOString();
      show({ id: id, kind: p.kind, phase: p.phase, done: p.done, total: p.total, startedAt: firstSeen[id] });
    });
    source.addEventListener('ended', function (ev) {
      var job = JSON.parse(ev.data);
      // The job this page followed ended: the server's page shows its result.
      if (followed !== null && String(job.id) === followed) {
        source.close();
        window.location.reload();
      }
    });
  }

  // Show only the schedule fields that the chosen frequency uses.
  document.querySelectorAll('select[data-spec]').forEach(function (select) {
    var prefix = select.getAttribute('data-spec');
    function apply() {
      document.querySelectorAll('[data-show^="' + prefix + ':"]').forEach(function (el) {
        var kinds = el.getAttribute('data-show').split(':')[1].split(',');
        el.hidden = kinds.indexOf(select.value) < 0;
      });
    }
    select.addEventListener('change', apply);
    apply();
  });

  // Ask before a destructive button that has no confirmation field of its own.
  document.querySelectorAll('[data-confirm]').forEach(function (button) {
    button.addEventListener('click', function (ev) {
      if (!window.confirm(button.getAttribute('data-confirm'))) ev.preventDefault();
    });
  });

  // A key file is read here and put in the key field (nothing is uploaded but its text).
  document.querySelectorAll('[data-key-file]').forEach(function (box) {
    box.hidden = false;
    var input = box.querySelector('input[type=file]');
    var text = document.getElementById('key-text');
    input.addEventListener('change', function () {
      var file = input.files && input.files[0];
      if (!file || !text) return;
      file.text().then(function (t) {
        var line = t.split(/\\r?\\n/).filter(function (l) { return /^AGE-SECRET-KEY-1/.test(l.trim()); })[0];
        text.value = (line || t).trim();
      });
    });
  });

  // The recovery key: a print button once the script runs.
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () { window.print(); });
  });
})();
`;
