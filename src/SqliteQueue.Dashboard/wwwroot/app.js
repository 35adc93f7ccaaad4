// SqliteQueue dashboard: one page, hash routes, live data, no framework.
// Every piece of API data enters the DOM through textContent or an attribute, never through innerHTML.
'use strict';

(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const STATES = ['pending', 'running', 'completed', 'dead', 'cancelled'];

  const app = {
    config: null,
    page: null,          // the mounted page: { load(), render(data), key }
    generation: 0,       // rises on every route change; stale answers are dropped
    timer: 0,
    inFlight: false,
    again: false,        // a refresh was asked for while one was in flight
    lastJson: '',
    lastRenderAt: 0,
  };

  // ---------- DOM helpers ----------

  /** Creates an element: h('a', { href: '#/x', className: 'y', dataset: { testid: 'z' } }, 'text', child). */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    setProps(el, props);
    append(el, children);
    return el;
  }

  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) el.setAttribute(k, String(v));
    }
    append(el, children);
    return el;
  }

  function setProps(el, props) {
    if (!props) return;
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'testid') el.dataset.testid = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k in el && k !== 'list' && k !== 'form') el[k] = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }

  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function replace(el, ...children) {
    clear(el);
    append(el, children);
  }

  const $ = (id) => document.getElementById(id);

  // ---------- Formatting ----------

  const pad2 = (n) => String(n).padStart(2, '0');

  function fmtAge(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(Number(seconds))) return '—';
    let t = Math.max(0, Math.floor(Number(seconds)));
    if (t < 60) return `${t}s`;
    if (t < 3600) return `${Math.floor(t / 60)}m ${pad2(t % 60)}s`;
    if (t < 86400) return `${Math.floor(t / 3600)}h ${pad2(Math.floor((t % 3600) / 60))}m`;
    return `${Math.floor(t / 86400)}d ${pad2(Math.floor((t % 86400) / 3600))}h`;
  }

  function relative(iso) {
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) return '';
    const diff = (Date.now() - ms) / 1000;
    if (Math.abs(diff) < 1) return 'now';
    return diff >= 0 ? `${fmtAge(diff)} ago` : `in ${fmtAge(-diff)}`;
  }

  function localTime(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const now = new Date();
    const opts = { hour: '2-digit', minute: '2-digit', second: '2-digit' };
    if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString(undefined, opts);
    Object.assign(opts, { month: 'short', day: 'numeric' });
    if (d.getFullYear() !== now.getFullYear()) opts.year = 'numeric';
    return d.toLocaleString(undefined, opts);
  }

  function utcTitle(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString();
  }

  /** A <time> in local time, the ISO UTC time in its title, optionally followed by "(3m ago)". */
  function time(iso, withRelative = false) {
    if (iso === null || iso === undefined || iso === '') return h('span', { className: 'muted' }, '—');
    const el = h('time', { dateTime: String(iso), title: `${utcTitle(iso)} (UTC)` }, localTime(iso));
    if (!withRelative) return el;
    return h('span', { className: 'time' }, el, ' ', h('span', { className: 'muted rel' }, relative(iso)));
  }

  function fmtBytes(n) {
    if (n === null || n === undefined) return '—';
    const v = Number(n);
    if (v < 1024) return `${v} B`;
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let x = v / 1024;
    let i = 0;
    while (x >= 1024 && i < units.length - 1) { x /= 1024; i += 1; }
    return `${x.toFixed(x < 10 ? 2 : 1)} ${units[i]}`;
  }

  const fmtInt = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString());

  /** A .NET TimeSpan as JSON ("00:00:01.2345") or a number of seconds or milliseconds, as text. */
  function fmtDuration(v) {
    if (v === null || v === undefined) return '—';
    if (typeof v === 'number') return fmtMs(v);
    const m = /^(-)?(?:(\d+)\.)?(\d+):(\d+):(\d+)(?:\.(\d+))?$/.exec(String(v));
    if (!m) return String(v);
    const ms = ((Number(m[2] || 0) * 86400 + Number(m[3]) * 3600 + Number(m[4]) * 60 + Number(m[5])) * 1000)
      + Number(`0.${m[6] || '0'}`) * 1000;
    return fmtMs(ms);
  }

  function fmtMs(ms) {
    if (ms < 1) return `${ms.toFixed(2)} ms`;
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
    return fmtAge(ms / 1000);
  }

  function durationBetween(a, b) {
    const x = Date.parse(a);
    const y = Date.parse(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return '—';
    return fmtMs(Math.max(0, y - x));
  }

  function truncate(text, max) {
    if (text === null || text === undefined) return '';
    const t = String(text);
    const first = t.split('\n')[0];
    return first.length > max ? `${first.slice(0, max - 1)}…` : (first.length < t.length ? `${first} …` : first);
  }

  function words(camel) {
    return String(camel ?? '').replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  }

  function stateBadge(state, extra) {
    const st = String(state ?? 'unknown').toLowerCase();
    return h('span', { className: `badge state state-${st.replace(/[^a-z]/g, '')}`, ...(extra || {}) }, st);
  }

  function pill(text, kind, extra) {
    return h('span', { className: `badge pill-${kind}`, ...(extra || {}) }, text);
  }

  // ---------- Hash routes ----------

  function parseHash() {
    let raw = location.hash.replace(/^#/, '');
    if (!raw.startsWith('/')) raw = `/${raw}`;
    const q = raw.indexOf('?');
    const path = q >= 0 ? raw.slice(0, q) : raw;
    const params = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
    const parts = path.split('/').filter(Boolean).map((p) => {
      try { return decodeURIComponent(p); } catch { return p; }
    });
    return { parts, params };
  }

  function jobsHash(filter) {
    const p = new URLSearchParams();
    for (const k of ['state', 'queue', 'type', 'search']) {
      if (filter[k]) p.set(k, filter[k]);
    }
    const qs = p.toString();
    return `#/jobs${qs ? `?${qs}` : ''}`;
  }

  // ---------- API ----------

  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  async function request(method, path, body) {
    const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' };
    if (method !== 'GET') {
      init.headers['Content-Type'] = 'application/json';
      const af = app.config && app.config.antiforgery;
      if (af && af.headerName) init.headers[af.headerName] = af.token;
      init.body = JSON.stringify(body ?? {});
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(`Could not reach the server (${e.message || e}).`, 0);
    }
    const text = await res.text();
    let json = null;
    if (text) {
      try { json = JSON.parse(text); } catch { json = null; }
    }
    if (!res.ok) {
      const msg = json && typeof json.error === 'string' && json.error
        ? json.error
        : `${res.status} ${res.statusText || 'error'}`.trim();
      throw new ApiError(msg, res.status);
    }
    if (json === null && text) throw new ApiError(`The server answered ${path} with something that is not JSON.`, res.status);
    return json;
  }

  const get = (path) => request('GET', path);
  const post = (path, body) => request('POST', path, body);

  // ---------- Banners and live indicator ----------

  function showError(message) {
    $('error-text').textContent = message;
    $('error-banner').hidden = false;
  }

  function hideError() {
    $('error-banner').hidden = true;
    $('error-text').textContent = '';
  }

  let noticeTimer = 0;
  function showNotice(message) {
    $('notice-text').textContent = message;
    $('notice-banner').hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { $('notice-banner').hidden = true; }, 8000);
  }

  function setLive(ok) {
    const live = $('live');
    live.classList.toggle('live-error', !ok);
    live.classList.toggle('live-paused', document.visibilityState === 'hidden');
    if (ok) {
      const now = new Date();
      const el = $('last-refresh');
      el.textContent = `updated ${now.toLocaleTimeString()}`;
      el.title = `Last refresh ${now.toISOString()} (UTC); every ${app.config ? app.config.refreshSeconds : '?'} s`;
    }
  }

  /** Runs an action (a POST), shows its error or notice, then reads the page again. */
  async function act(fn, okMessage) {
    try {
      const res = await fn();
      hideError();
      const msg = typeof okMessage === 'function' ? okMessage(res) : okMessage;
      if (msg) showNotice(msg);
      return res;
    } catch (e) {
      showError(e.message || String(e));
      return undefined;
    } finally {
      refreshNow();
    }
  }

  const readOnly = () => Boolean(app.config && app.config.readOnly);

  function actionButton(label, testid, onClick, kind = '') {
    if (readOnly()) return null;
    return h('button', { type: 'button', className: `btn ${kind}`.trim(), testid, onclick: onClick }, label);
  }

  function outcomeText(res) {
    if (!res) return '';
    const outcome = res.outcome !== undefined && res.outcome !== null ? words(res.outcome) : '';
    return res.done === false ? `not done${outcome ? `: ${outcome}` : ''}` : (outcome || 'done');
  }

  // ---------- The refresh loop ----------

  function schedule() {
    clearTimeout(app.timer);
    const secs = app.config ? Number(app.config.refreshSeconds) || 2 : 2;
    app.timer = setTimeout(tick, Math.max(250, secs * 1000));
  }

  function refreshNow() {
    clearTimeout(app.timer);
    if (app.inFlight) app.again = true;
    else tick();
  }

  async function tick() {
    clearTimeout(app.timer);
    if (document.visibilityState === 'hidden') {
      $('live').classList.add('live-paused');
      return; // visibilitychange starts it again
    }
    if (app.inFlight) { app.again = true; return; }
    const page = app.page;
    if (!page) return;
    const gen = app.generation;
    app.inFlight = true;
    let ok = true;
    try {
      const data = await page.load();
      if (gen === app.generation) {
        const json = JSON.stringify(data);
        // Skip an identical re-render (keeps focus and text selection) unless relative times need a refresh.
        if (json !== app.lastJson || Date.now() - app.lastRenderAt > 15000) {
          page.render(data);
          app.lastData = data;
          app.lastJson = json;
          app.lastRenderAt = Date.now();
        }
        hideErrorIfRefresh();
      }
    } catch (e) {
      ok = false;
      if (gen === app.generation) {
        if (page.fail) page.fail(e);
        const msg = String(e.message || e).replace(/\.+$/, '');
        showError(app.lastData === undefined ? `${msg}.` : `Refresh failed: ${msg}. Showing the last data read.`);
        if (app.lastData === undefined) $('last-refresh').textContent = 'no data';
        app.refreshError = true;
      }
    } finally {
      app.inFlight = false;
    }
    if (gen !== app.generation || app.again) {
      app.again = false;
      tick();
      return;
    }
    setLive(ok);
    schedule();
  }

  function hideErrorIfRefresh() {
    if (app.refreshError) {
      app.refreshError = false;
      hideError();
    }
  }

  // ---------- Shared building blocks ----------

  function section(title, ...children) {
    return h('section', { className: 'card' }, title ? h('h2', null, title) : null, ...children);
  }

  /** A table inside a horizontally scrolling wrapper. head: [label | {label, className}] */
  function table(head, rows, props) {
    const thead = h('thead', null, h('tr', null, head.map((c) => (
      typeof c === 'object' && c !== null && !(c instanceof Node)
        ? h('th', { className: c.className || '', scope: 'col' }, c.label)
        : h('th', { scope: 'col' }, c)))));
    const tbody = h('tbody', null, rows);
    return h('div', { className: 'table-wrap' }, h('table', props || null, thead, tbody));
  }

  function emptyRow(cols, text) {
    return h('tr', { className: 'empty' }, h('td', { colSpan: cols }, text));
  }

  function num(value, href, testid) {
    const content = href ? h('a', { href, className: Number(value) > 0 ? '' : 'zero' }, fmtInt(value)) : fmtInt(value);
    return h('td', { className: 'num', testid }, content);
  }

  function kv(rows) {
    return h('dl', { className: 'kv' }, rows.filter(Boolean).map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
  }

  function pre(text, className = '') {
    return h('pre', { className: `pre ${className}`.trim() }, text);
  }

  // ---------- Overview ----------

  function mountOverview(root) {
    const health = h('div', { testid: 'health' });
    const queues = h('div', { testid: 'queues' });
    const summary = h('div', { className: 'stats', testid: 'summary' });
    const chart = h('div', { className: 'chart-wrap', testid: 'throughput' });
    replace(root,
      h('h1', null, 'Overview'),
      h('div', { className: 'grid-top' }, section('Health', health), section('At a glance', summary)),
      section('Queues', queues),
      section('Throughput, last hour', chart));

    return {
      resizes: true,
      load: () => get('api/overview'),
      render(d) {
        renderHealth(health, d.health);
        renderSummary(summary, d);
        renderQueues(queues, d.queues || [], d.totals);
        renderChart(chart, d.throughput || { buckets: [] });
      },
    };
  }

  function renderHealth(el, health) {
    const status = String(health && health.status ? health.status : 'unknown').toLowerCase();
    const problems = (health && health.problems) || [];
    replace(el,
      h('p', null, h('span', { className: `badge health health-${status.replace(/[^a-z]/g, '')}`, testid: 'health-status' }, status)),
      problems.length === 0
        ? h('p', { className: 'muted' }, 'No problems found.')
        : h('ul', { className: 'problems', testid: 'health-problems' }, problems.map((p) => h('li', null,
          h('span', { className: `badge health health-${String(p.status || '').toLowerCase().replace(/[^a-z]/g, '')}` }, String(p.status || '').toLowerCase()),
          ' ', h('code', null, p.figure), ' ', p.description))));
  }

  function renderSummary(el, d) {
    const r = d.recurring || {};
    const stat = (label, value, href, testid) => h('div', { className: 'stat' },
      h('div', { className: 'stat-value', testid }, href ? h('a', { href }, value) : value),
      h('div', { className: 'stat-label' }, label));
    replace(el,
      stat('live workers', fmtInt(d.liveWorkers), '#/workers', 'live-workers'),
      stat('recurring active', fmtInt(r.active), '#/recurring', 'recurring-active'),
      stat('recurring paused', fmtInt(r.paused), '#/recurring', 'recurring-paused'),
      stat('recurring broken', fmtInt(r.broken), '#/recurring', 'recurring-broken'));
    if (Number(r.broken) > 0) el.lastChild.classList.add('stat-bad');
  }

  function renderQueues(el, queues, totals) {
    const cols = ['pending', 'runnable', 'running', 'completed', 'dead', 'cancelled'];
    const linkState = { pending: 'pending', runnable: 'pending', running: 'running', completed: 'completed', dead: 'dead', cancelled: 'cancelled' };
    const row = (q, isTotal) => h('tr', {
      className: isTotal ? 'total' : '',
      testid: isTotal ? 'queue-row-totals' : `queue-row-${q.queue}`,
    },
    h(isTotal ? 'th' : 'td', { scope: isTotal ? 'row' : undefined, className: 'qname' },
      isTotal ? 'Total' : h('a', { href: jobsHash({ queue: q.queue }) }, q.queue)),
    cols.map((c) => num(q[c], jobsHash({ state: linkState[c], queue: isTotal ? '' : q.queue }), `count-${c}`)),
    h('td', { className: `num ${Number(q.oldestRunnableAgeSeconds) >= 300 ? 'warn' : ''}`.trim(), testid: 'count-oldest' },
      fmtAge(q.oldestRunnableAgeSeconds)));
    const rows = queues.length ? queues.map((q) => row(q, false)) : [emptyRow(8, 'No queues yet.')];
    const t = table(
      ['Queue', ...cols.map((c) => ({ label: c, className: 'num' })), { label: 'oldest runnable', className: 'num' }],
      rows, { testid: 'queues-table', className: 'data' });
    if (totals) t.querySelector('table').append(h('tfoot', null, row(totals, true)));
    replace(el, t);
  }

  function renderChart(el, tp) {
    const buckets = tp.buckets || [];
    const bucketSeconds = Number(tp.bucketSeconds) || 60;
    // Drawn at the container's width in pixels, so text stays at its size; redrawn on resize.
    const W = Math.max(300, Math.round(el.clientWidth || 760));
    const H = W < 500 ? 200 : 240;
    const m = { l: 40, r: 10, t: 10, b: 34 };
    const pw = W - m.l - m.r; const ph = H - m.t - m.b;
    let max = 0;
    for (const b of buckets) max = Math.max(max, Number(b.completed) || 0, Number(b.failed) || 0);
    const legend = h('div', { className: 'legend' },
      h('span', { className: 'legend-item' }, h('span', { className: 'swatch swatch-completed' }), 'completed'),
      h('span', { className: 'legend-item' }, h('span', { className: 'swatch swatch-failed' }), 'failed'),
      h('span', { className: 'muted' }, bucketSeconds === 60 ? 'per minute' : `per ${fmtAge(bucketSeconds)}`));
    const totalCompleted = buckets.reduce((a, b) => a + (Number(b.completed) || 0), 0);
    const totalFailed = buckets.reduce((a, b) => a + (Number(b.failed) || 0), 0);

    const svg = s('svg', {
      viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'data-testid': 'throughput-chart',
      'aria-label': `Completed and failed jobs per ${bucketSeconds} seconds over the last hour: ${totalCompleted} completed, ${totalFailed} failed`,
      preserveAspectRatio: 'xMidYMid meet',
    });
    svg.append(s('title', null, `${totalCompleted} completed, ${totalFailed} failed in the last hour`));

    // A nice y maximum and grid lines.
    const niceMax = max <= 0 ? 4 : niceCeil(max);
    const ticks = 4;
    const grid = s('g', { class: 'grid' });
    for (let i = 0; i <= ticks; i += 1) {
      const v = (niceMax / ticks) * i;
      const y = m.t + ph - (v / niceMax) * ph;
      grid.append(s('line', { x1: m.l, x2: W - m.r, y1: y, y2: y }));
      grid.append(s('text', { x: m.l - 6, y: y + 4, 'text-anchor': 'end', class: 'axis-label' }, fmtTick(v)));
    }
    svg.append(grid);

    const n = Math.max(buckets.length, 1);
    const slot = pw / n;
    const barW = Math.max(1, (slot - 1) / 2);
    const bars = s('g', { class: 'bars' });
    buckets.forEach((b, i) => {
      const x = m.l + i * slot;
      const c = Number(b.completed) || 0;
      const f = Number(b.failed) || 0;
      const label = `${localTime(b.start)}: ${c} completed, ${f} failed`;
      const g = s('g', null, s('title', null, label));
      const hc = (c / niceMax) * ph;
      const hf = (f / niceMax) * ph;
      g.append(s('rect', { x: x + 0.5, y: m.t + ph - hc, width: barW, height: hc, class: 'bar-completed' }));
      g.append(s('rect', { x: x + 0.5 + barW, y: m.t + ph - hf, width: barW, height: hf, class: 'bar-failed' }));
      // An invisible full-height target, so the tooltip works on empty minutes too.
      g.append(s('rect', { x, y: m.t, width: slot, height: ph, class: 'hit' }));
      bars.append(g);
    });
    svg.append(bars);

    // The x axis: a line and a few time labels.
    svg.append(s('line', { x1: m.l, x2: W - m.r, y1: m.t + ph, y2: m.t + ph, class: 'axis' }));
    if (buckets.length) {
      const step = Math.max(1, Math.round(buckets.length / Math.max(2, Math.floor(pw / 90))));
      const xAxis = s('g', null);
      for (let i = 0; i < buckets.length; i += step) {
        const d = new Date(buckets[i].start);
        const label = Number.isNaN(d.getTime()) ? '' : `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
        xAxis.append(s('text', { x: m.l + i * slot + slot / 2, y: H - m.b + 16, 'text-anchor': 'middle', class: 'axis-label' }, label));
      }
      xAxis.append(s('text', { x: W - m.r, y: H - 4, 'text-anchor': 'end', class: 'axis-label' }, 'local time'));
      svg.append(xAxis);
    }

    const parts = [legend, svg];
    if (max <= 0) {
      parts.push(h('p', { className: 'chart-empty muted', testid: 'throughput-empty' }, 'No jobs finished in the last hour.'));
    } else {
      parts.push(h('p', { className: 'muted small' }, `${fmtInt(totalCompleted)} completed, ${fmtInt(totalFailed)} failed in the last hour.`));
    }
    replace(el, parts);
  }

  /** The chart's top: four equal integer steps of 1, 2 or 5 times a power of ten. */
  function niceCeil(v) {
    const raw = Math.max(1, v / 4);
    const p = 10 ** Math.floor(Math.log10(raw));
    for (const k of [1, 2, 2.5, 5, 10]) {
      if (k === 2.5 && p < 10) continue;
      if (k * p >= raw) return k * p * 4;
    }
    return 40 * p;
  }

  function fmtTick(v) {
    if (v >= 1000000) return `${(v / 1000000).toFixed(1)}M`;
    if (v >= 10000) return `${Math.round(v / 1000)}k`;
    return Number.isInteger(v) ? String(v) : v.toFixed(1);
  }

  // ---------- Jobs list (and Dead) ----------

  function mountJobs(root, params) {
    const filter = {
      state: params.get('state') || '',
      queue: params.get('queue') || '',
      type: params.get('type') || '',
      search: params.get('search') || '',
    };
    const bulk = (filter.state === 'dead' || filter.state === 'cancelled') && !readOnly();
    const selected = new Set();
    // Newest first: each page is the jobs below a cursor id (before), and Previous pops back to the newer one.
    const prevStack = [];
    let before = params.get('before') || '';
    let current = null;

    const stateSelect = h('select', { name: 'state', id: 'f-state', testid: 'filter-state' },
      h('option', { value: '' }, 'any state'),
      STATES.map((st) => h('option', { value: st, selected: st === filter.state }, st)));
    const input = (name, label, value, placeholder) => h('label', { className: 'field' },
      h('span', null, label),
      h('input', { type: name === 'search' ? 'search' : 'text', name, value, placeholder, testid: `filter-${name}`, autocomplete: 'off' }));
    const form = h('form', { className: 'filters', testid: 'jobs-filter', role: 'search' },
      h('label', { className: 'field' }, h('span', null, 'State'), stateSelect),
      input('queue', 'Queue', filter.queue, 'any queue'),
      input('type', 'Type', filter.type, 'any type'),
      input('search', 'Payload contains', filter.search, 'text in the payload'),
      h('div', { className: 'field-actions' },
        h('button', { type: 'submit', className: 'btn btn-primary', testid: 'btn-filter' }, 'Filter'),
        h('a', { href: '#/jobs', className: 'btn btn-link', testid: 'btn-clear-filter' }, 'Clear')));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const fd = new FormData(form);
      const next = {};
      for (const k of ['state', 'queue', 'type', 'search']) next[k] = String(fd.get(k) || '').trim();
      const target = jobsHash(next);
      if (location.hash === target) refreshNow();
      else location.hash = target;
    });
    stateSelect.addEventListener('change', () => form.requestSubmit());

    const tableEl = h('div', { testid: 'jobs-table-wrap' });
    const pager = h('div', { className: 'pager' });
    const selectionInfo = h('span', { className: 'muted', testid: 'selection-count' });
    const bulkBar = bulk ? h('div', { className: 'bulk' },
      selectionInfo,
      h('button', { type: 'button', className: 'btn', testid: 'btn-retry-selected', onclick: () => bulkSelected('retry') }, 'Retry selected'),
      h('button', { type: 'button', className: 'btn btn-danger', testid: 'btn-delete-selected', onclick: () => bulkSelected('delete') }, 'Delete selected'),
      h('span', { className: 'sep' }),
      h('button', { type: 'button', className: 'btn', testid: 'btn-retry-all', onclick: () => bulkAll('retry'), disabled: Boolean(filter.search) }, 'Retry all matching'),
      h('button', { type: 'button', className: 'btn btn-danger', testid: 'btn-delete-all', onclick: () => bulkAll('delete'), disabled: Boolean(filter.search) }, 'Delete all matching'),
      filter.search ? h('span', { className: 'muted small' }, '"All matching" applies state, queue and type only: clear the payload search to use it.') : null)
      : null;

    const title = filter.state === 'dead' ? 'Dead jobs' : (filter.state ? `Jobs: ${filter.state}` : 'Jobs');
    replace(root, h('h1', null, title), section(null, form), section(null, bulkBar, tableEl, pager));

    function updateSelectionUi() {
      if (!bulk) return;
      selectionInfo.textContent = selected.size ? `${selected.size} selected` : 'none selected';
      for (const id of ['btn-retry-selected', 'btn-delete-selected']) {
        const b = bulkBar.querySelector(`[data-testid="${id}"]`);
        if (b) b.disabled = selected.size === 0;
      }
      const all = tableEl.querySelector('input[data-testid="select-all"]');
      if (all && current) {
        const ids = current.jobs.map((j) => String(j.id));
        all.checked = ids.length > 0 && ids.every((id) => selected.has(id));
        all.indeterminate = !all.checked && ids.some((id) => selected.has(id));
      }
    }

    async function bulkSelected(action) {
      const ids = [...selected].map(Number);
      if (!ids.length) return;
      const verb = action === 'retry' ? 'Retry' : 'Delete for good';
      if (!window.confirm(`${verb} ${ids.length} selected job${ids.length === 1 ? '' : 's'}?`)) return;
      await act(() => post(`api/jobs/${action}`, { ids }), (r) => {
        selected.clear();
        updateSelectionUi();
        return `${action === 'retry' ? 'Retried' : 'Deleted'} ${fmtInt(r && r.changed)} job(s).`;
      });
    }

    async function bulkAll(action) {
      const p = new URLSearchParams({ state: filter.state });
      if (filter.queue) p.set('queue', filter.queue);
      if (filter.type) p.set('type', filter.type);
      const scope = [`every ${filter.state} job`, filter.queue ? `in queue "${filter.queue}"` : 'in every queue',
        filter.type ? `of type "${filter.type}"` : 'of every type'].join(' ');
      const verb = action === 'retry' ? 'Retry' : 'Delete for good';
      if (!window.confirm(`${verb} ${scope}? This is not limited to the page shown.`)) return;
      await act(() => post(`api/jobs/${action}-all?${p}`, {}), (r) => {
        selected.clear();
        return `${action === 'retry' ? 'Retried' : 'Deleted'} ${fmtInt(r && r.changed)} job(s).`;
      });
    }

    function go(nextBefore, push) {
      if (push) prevStack.push(before);
      before = nextBefore;
      selected.clear();
      app.lastJson = '';
      refreshNow();
    }

    return {
      load() {
        const p = new URLSearchParams();
        for (const k of ['state', 'queue', 'type', 'search']) if (filter[k]) p.set(k, filter[k]);
        p.set('order', 'newest');
        if (before) p.set('before', before);
        p.set('limit', '50');
        return get(`api/jobs?${p}`);
      },
      render(d) {
        current = d;
        const jobs = d.jobs || [];
        const present = new Set(jobs.map((j) => String(j.id)));
        for (const id of [...selected]) if (!present.has(id)) selected.delete(id);

        const head = [];
        if (bulk) {
          head.push({ label: h('input', { type: 'checkbox', testid: 'select-all', title: 'Select every job on this page', 'aria-label': 'Select all on this page', onchange: (e) => {
            for (const j of jobs) { if (e.target.checked) selected.add(String(j.id)); else selected.delete(String(j.id)); }
            for (const cb of tableEl.querySelectorAll('input.row-select')) cb.checked = e.target.checked;
            updateSelectionUi();
          } }), className: 'check' });
        }
        head.push('Id', 'Queue', 'Type', 'State', { label: 'Attempt', className: 'num' }, 'Created', 'Run at / finished', 'Last error');
        const rows = jobs.map((j) => {
          const id = String(j.id);
          const cells = [];
          if (bulk) {
            cells.push(h('td', { className: 'check' }, h('input', {
              type: 'checkbox', className: 'row-select', checked: selected.has(id), 'aria-label': `Select job ${id}`,
              testid: `select-${id}`,
              onchange: (e) => { if (e.target.checked) selected.add(id); else selected.delete(id); updateSelectionUi(); },
            })));
          }
          const finished = j.finishedAt;
          cells.push(
            h('td', null, h('a', { href: `#/jobs/${encodeURIComponent(id)}`, testid: 'job-link' }, `#${id}`)),
            h('td', null, j.queue),
            h('td', null, h('code', null, j.type)),
            h('td', null, stateBadge(j.state), j.cancellationRequested ? h('span', { className: 'badge pill-warn', title: 'A cancel was requested' }, 'cancelling') : null),
            h('td', { className: 'num' }, `${j.attempt}/${j.maxAttempts}`),
            h('td', null, time(j.createdAt, true)),
            h('td', null, finished ? [h('span', { className: 'muted small' }, 'finished '), time(finished, true)] : [h('span', { className: 'muted small' }, 'run at '), time(j.runAt, true)]),
            h('td', { className: 'err', title: j.lastError || '' }, truncate(j.lastError, 100)));
          return h('tr', { testid: `job-row-${id}`, className: selected.has(id) ? 'selected' : '' }, cells);
        });
        replace(tableEl, table(head, rows.length ? rows : [emptyRow(head.length, before ? 'No more jobs.' : 'No jobs match.')], { className: 'data', testid: 'jobs-table' }));
        replace(pager,
          h('button', { type: 'button', className: 'btn', testid: 'btn-prev-page', disabled: prevStack.length === 0, onclick: () => { before = prevStack.pop() || ''; selected.clear(); app.lastJson = ''; refreshNow(); } }, '← Previous page'),
          h('span', { className: 'muted', testid: 'page-note' }, `${jobs.length} shown, newest first${before ? `, before #${before}` : ''}${d.searchedThroughId ? `; searched down to #${d.searchedThroughId}, the next page searches on` : ''}`),
          h('button', { type: 'button', className: 'btn', testid: 'btn-next-page', disabled: d.nextBeforeId === null || d.nextBeforeId === undefined, onclick: () => go(String(d.nextBeforeId), true) }, 'Next page (older) →'));
        updateSelectionUi();
      },
    };
  }

  // ---------- One job ----------

  function mountJob(root, id) {
    const actions = h('div', { className: 'actions', testid: 'job-actions' });
    const fields = h('div');
    const payload = h('div');
    const executions = h('div');
    const heading = h('h1', null, `Job #${id}`);
    replace(root,
      h('p', { className: 'crumbs' }, h('a', { href: '#/jobs' }, '← Jobs')),
      heading, actions,
      section('Fields', fields), section('Payload', payload), section('Executions', executions));

    const path = `api/jobs/${encodeURIComponent(id)}`;

    return {
      load: () => get(path),
      fail(e) {
        if (e.status === 404) {
          replace(fields, h('p', { className: 'muted', testid: 'job-missing' }, `Job #${id} does not exist (any more): it may have been deleted or pruned.`));
          clear(actions); clear(payload); clear(executions);
          app.lastJson = '';
        }
      },
      render(d) {
        const j = d.job || {};
        const st = String(j.state || '').toLowerCase();
        replace(heading, `Job #${j.id} `, stateBadge(st, { testid: 'job-state' }));
        const btns = [];
        if (st === 'dead' || st === 'cancelled') {
          btns.push(actionButton('Retry', 'btn-retry', () => act(() => post(`${path}/retry`), (r) => `Retry job #${j.id}: ${outcomeText(r)}.`), 'btn-primary'));
        }
        if (st === 'pending' || st === 'running') {
          btns.push(actionButton(j.cancellationRequested ? 'Cancel (requested)' : 'Cancel', 'btn-cancel',
            () => act(() => post(`${path}/cancel`), (r) => `Cancel job #${j.id}: ${outcomeText(r)}.`)));
        }
        if (st !== 'running') {
          btns.push(actionButton('Delete', 'btn-delete', async () => {
            if (!confirm(`Delete job #${j.id} for good?`)) return;
            const r = await act(() => post(`${path}/delete`), (x) => `Delete job #${j.id}: ${outcomeText(x)}.`);
            if (r && r.done !== false) location.hash = '#/jobs';
          }, 'btn-danger'));
        }
        replace(actions, btns.filter(Boolean));

        replace(fields, kv([
          ['Id', String(j.id)],
          ['State', [stateBadge(st), j.cancellationRequested ? h('span', { className: 'badge pill-warn' }, 'cancel requested') : null]],
          ['Queue', h('a', { href: jobsHash({ queue: j.queue }) }, j.queue)],
          ['Type', h('a', { href: jobsHash({ type: j.type }) }, h('code', null, j.type))],
          ['Attempt', `${j.attempt} of ${j.maxAttempts}`],
          ['Priority', String(j.priority ?? '—')],
          ['Created', time(j.createdAt, true)],
          ['Run at', time(j.runAt, true)],
          ['Started', time(j.startedAt, true)],
          ['Finished', time(j.finishedAt, true)],
          ['Lease owner', j.leaseOwner || h('span', { className: 'muted' }, '—')],
          ['Lease expires', time(j.leaseExpiresAt, true)],
          ['Timeout', j.timeoutSeconds === null || j.timeoutSeconds === undefined ? h('span', { className: 'muted' }, 'default') : fmtAge(j.timeoutSeconds)],
          ['Deduplication key', j.deduplicationKey ? h('code', null, j.deduplicationKey) : h('span', { className: 'muted' }, '—')],
          ['Recurring', j.recurringName ? h('a', { href: `#/recurring/${encodeURIComponent(j.recurringName)}` }, j.recurringName) : h('span', { className: 'muted' }, '—')],
          ['Scheduled for', time(j.scheduledFor)],
          ['Last error', j.lastError ? pre(j.lastError, 'pre-error') : h('span', { className: 'muted' }, '—')],
        ]));

        let text;
        try { text = JSON.stringify(j.payload, null, 2); } catch { text = String(j.payload); }
        replace(payload, pre(text === undefined ? 'null' : text, 'pre-json'));
        payload.firstChild.dataset.testid = 'job-payload';

        const ex = d.executions || [];
        const rows = ex.map((e) => h('tr', { testid: `execution-${e.attempt}` },
          h('td', { className: 'num' }, String(e.attempt)),
          h('td', null, h('span', { className: `badge outcome outcome-${String(e.outcome || '').replace(/[^A-Za-z]/g, '').toLowerCase()}` }, words(e.outcome))),
          h('td', null, e.workerId ? h('code', null, e.workerId) : '—'),
          h('td', null, time(e.startedAt)),
          h('td', null, time(e.finishedAt)),
          h('td', { className: 'num' }, durationBetween(e.startedAt, e.finishedAt)),
          h('td', { className: 'err-cell' }, e.error ? (String(e.error).includes('\n') ? pre(e.error, 'pre-error') : h('span', { className: 'err-inline' }, e.error)) : h('span', { className: 'muted' }, '—'))));
        replace(executions, table(['Attempt', 'Outcome', 'Worker', 'Started', 'Finished', { label: 'Duration', className: 'num' }, 'Error'],
          rows.length ? rows : [emptyRow(7, 'No attempt has run yet.')], { className: 'data', testid: 'executions-table' }));
      },
    };
  }

  // ---------- Recurring ----------

  function scheduleButtons(sc) {
    const st = String(sc.state || '').toLowerCase();
    const base = `api/recurring/${encodeURIComponent(sc.name)}`;
    const btns = [];
    if (st === 'active') {
      btns.push(actionButton('Pause', 'btn-pause', () => act(() => post(`${base}/pause`), (r) => `${sc.name}: ${r && r.state ? words(r.state) : 'paused'}.`), 'btn-small'));
    } else {
      btns.push(actionButton('Resume', 'btn-resume', () => act(() => post(`${base}/resume`), (r) => `${sc.name}: ${r && r.state ? words(r.state) : 'resumed'}.`), 'btn-small'));
    }
    btns.push(actionButton('Trigger', 'btn-trigger', () => act(() => post(`${base}/trigger`),
      (r) => (r && r.jobId ? `${sc.name}: triggered job #${r.jobId}.` : `${sc.name}: not triggered (an earlier job is still live).`)), 'btn-small'));
    return btns.filter(Boolean);
  }

  function scheduleStateBadge(state) {
    const st = String(state || '').toLowerCase();
    return h('span', { className: `badge sched sched-${st.replace(/[^a-z]/g, '')}` }, st);
  }

  function mountRecurring(root) {
    const list = h('div');
    replace(root, h('h1', null, 'Recurring'), section(null, list));
    return {
      load: () => get('api/recurring'),
      render(d) {
        const rows = (d.schedules || []).map((sc) => h('tr', { testid: `schedule-row-${sc.name}` },
          h('td', null, h('a', { href: `#/recurring/${encodeURIComponent(sc.name)}` }, sc.name), h('div', { className: 'muted small' }, h('code', null, sc.jobType))),
          h('td', null, h('code', null, sc.schedule), sc.description ? h('div', { className: 'muted small' }, sc.description) : null),
          h('td', null, sc.timeZone || 'UTC'),
          h('td', null, scheduleStateBadge(sc.state)),
          readOnly() ? null : h('td', null, h('div', { className: 'row-actions' }, scheduleButtons(sc))),
          h('td', null, time(sc.nextRunAt, true)),
          h('td', null, time(sc.lastOccurrenceAt, true), sc.lastJobId ? h('div', { className: 'small' }, h('a', { href: `#/jobs/${sc.lastJobId}` }, `job #${sc.lastJobId}`)) : null),
          h('td', { className: 'num' }, fmtInt(sc.firedCount)),
          h('td', { className: 'err', title: sc.lastError || '' }, truncate(sc.lastError, 160))));
        const head = ['Name', 'Schedule', 'Time zone', 'State'];
        if (!readOnly()) head.push('Actions');
        head.push('Next run', 'Last run', { label: 'Fired', className: 'num' }, 'Last error');
        replace(list, table(head, rows.length ? rows : [emptyRow(head.length, 'No recurring schedules.')], { className: 'data', testid: 'recurring-table' }));
      },
    };
  }

  function mountSchedule(root, name) {
    const actions = h('div', { className: 'actions' });
    const def = h('div');
    const next = h('div');
    const history = h('div');
    const heading = h('h1', null, name);
    replace(root,
      h('p', { className: 'crumbs' }, h('a', { href: '#/recurring' }, '← Recurring')),
      heading, actions,
      h('div', { className: 'grid-top' }, section('Definition', def), section('Next five runs', next)),
      section('History', history));
    const base = `api/recurring/${encodeURIComponent(name)}`;
    return {
      async load() {
        const [list, hist] = await Promise.all([get('api/recurring'), get(`${base}/history?limit=50`)]);
        const sc = (list.schedules || []).find((x) => x.name === name);
        if (!sc) throw new ApiError(`No recurring schedule is named "${name}".`, 404);
        return { sc, history: hist.history || [] };
      },
      render(d) {
        const sc = d.sc;
        replace(heading, `${sc.name} `, scheduleStateBadge(sc.state));
        replace(actions, scheduleButtons(sc));
        replace(def, kv([
          ['Job type', h('code', null, sc.jobType)],
          ['Queue', sc.queue ? h('a', { href: jobsHash({ queue: sc.queue }) }, sc.queue) : '—'],
          ['Schedule', h('code', null, sc.schedule)],
          sc.description ? ['Description', sc.description] : null,
          ['Time zone', sc.timeZone || 'UTC'],
          ['State', scheduleStateBadge(sc.state)],
          ['Source', sc.source ? words(sc.source) : '—'],
          ['Next run', time(sc.nextRunAt, true)],
          ['Last run', time(sc.lastOccurrenceAt, true)],
          ['Last job', sc.lastJobId ? h('a', { href: `#/jobs/${sc.lastJobId}` }, `#${sc.lastJobId}`) : '—'],
          ['Fired', fmtInt(sc.firedCount)],
          ['Last error', sc.lastError ? pre(sc.lastError, 'pre-error') : h('span', { className: 'muted' }, '—')],
        ]));
        const nx = sc.next || [];
        replace(next, nx.length
          ? h('ol', { className: 'next-list', testid: 'next-runs' }, nx.map((t) => h('li', null, time(t, true))))
          : h('p', { className: 'muted' }, sc.state === 'broken' ? 'None: the schedule is broken.' : 'No upcoming runs.'));
        const rows = d.history.map((o) => h('tr', null,
          h('td', null, time(o.scheduledFor)),
          h('td', null, time(o.recordedAt, true)),
          h('td', null, h('span', { className: `badge occ occ-${String(o.outcome || '').replace(/[^A-Za-z]/g, '').toLowerCase()}` }, words(o.outcome))),
          h('td', null, o.jobId ? h('a', { href: `#/jobs/${o.jobId}` }, `#${o.jobId}`) : '—'),
          h('td', { className: 'wrap' }, o.detail || '')));
        replace(history, table(['Scheduled for', 'Recorded', 'Outcome', 'Job', 'Detail'],
          rows.length ? rows : [emptyRow(5, 'Nothing recorded yet.')], { className: 'data', testid: 'history-table' }));
      },
    };
  }

  // ---------- Workers ----------

  function mountWorkers(root) {
    const list = h('div');
    replace(root, h('h1', null, 'Workers'), section(null, list));
    return {
      load: () => get('api/workers'),
      render(d) {
        const rows = (d.workers || []).map((w) => h('tr', { testid: `worker-row-${w.id}` },
          h('td', null, h('code', null, w.id)),
          h('td', null, w.host),
          h('td', { className: 'num' }, String(w.processId ?? w.pid ?? '—')),
          h('td', null, (w.queues || []).map((q, i) => [i ? ', ' : '', h('a', { href: jobsHash({ queue: q }) }, q)])),
          h('td', { className: 'num' }, fmtInt(w.concurrency)),
          h('td', null, time(w.startedAt, true)),
          h('td', null, time(w.lastHeartbeatAt, true))));
        replace(list, table(['Id', 'Host', { label: 'PID', className: 'num' }, 'Queues', { label: 'Concurrency', className: 'num' }, 'Started', 'Last heartbeat'],
          rows.length ? rows : [emptyRow(7, 'No live workers.')], { className: 'data', testid: 'workers-table' }));
      },
    };
  }

  // ---------- Storage ----------

  function mountStorage(root) {
    const file = h('div');
    const integrity = h('div');
    const checkpoint = h('div');
    const runs = h('div');
    const btn = actionButton('Checkpoint now', 'btn-checkpoint', async () => {
      btn.disabled = true;
      try {
        await act(() => post('api/storage/checkpoint'), (r) => `Checkpoint: ${describeCheckpoint(r)}.`);
      } finally { btn.disabled = false; }
    }, 'btn-primary');
    replace(root, h('h1', null, 'Storage'), btn ? h('div', { className: 'actions' }, btn) : null,
      h('div', { className: 'grid-top' }, section('File', file), section('Integrity', integrity)),
      section('Last checkpoint (this process)', checkpoint),
      section('Last maintenance runs', runs));
    return {
      load: () => get('api/storage'),
      render(d) {
        const st = d.storage || {};
        const pages = Number(st.pageCount) || 0;
        const free = Number(st.freePages) || 0;
        replace(file, kv([
          ['Path', st.path ? h('code', { className: 'break' }, st.path) : h('span', { className: 'muted' }, 'in memory')],
          ['File size', h('span', { testid: 'file-size', title: `${fmtInt(st.fileBytes)} bytes` }, fmtBytes(st.fileBytes))],
          ['WAL size', h('span', { testid: 'wal-size', title: `${fmtInt(st.walBytes)} bytes` }, fmtBytes(st.walBytes))],
          ['Page size', fmtBytes(st.pageSize)],
          ['Pages', fmtInt(st.pageCount)],
          ['Free pages', `${fmtInt(st.freePages)}${pages ? ` (${((free / pages) * 100).toFixed(1)}%, ${fmtBytes(free * (Number(st.pageSize) || 0))})` : ''}`],
          ['Auto-vacuum', words(st.autoVacuum ?? '—')],
        ]));
        const ig = d.integrity;
        replace(integrity, ig
          ? kv([
            ['Result', h('span', { className: `badge ${ig.ok ? 'pill-ok' : 'pill-bad'}`, testid: 'integrity-ok' }, ig.ok ? 'ok' : 'problems found')],
            ['Last check', time(ig.checkedAt, true)],
          ])
          : h('p', { className: 'muted', testid: 'integrity-ok' }, 'No integrity check recorded yet.'));
        const cp = st.lastCheckpoint;
        replace(checkpoint, cp
          ? kv([
            ['Mode', words(cp.mode)],
            ['Result', cp.busy ? h('span', { className: 'badge pill-warn' }, 'busy: not finished') : h('span', { className: 'badge pill-ok' }, 'complete')],
            ['Frames copied', `${fmtInt(cp.checkpointedFrames)} of ${fmtInt(cp.logFrames)}`],
            ['WAL after', fmtBytes(cp.walBytesAfter)],
            ['Duration', fmtDuration(cp.duration)],
          ])
          : h('p', { className: 'muted' }, 'No checkpoint run by this process\'s maintenance yet.'));
        const rows = (st.lastRuns || []).map((r) => h('tr', { testid: `run-row-${r.task}` },
          h('td', null, r.task),
          h('td', null, h('span', { className: `badge ${r.succeeded ? 'pill-ok' : 'pill-bad'}` }, r.succeeded ? 'ok' : 'failed')),
          h('td', null, time(r.startedAt, true)),
          h('td', { className: 'num' }, durationBetween(r.startedAt, r.finishedAt)),
          h('td', { className: 'wrap' }, r.summary || ''),
          h('td', null, h('code', null, r.owner || ''))));
        replace(runs, table(['Task', 'Result', 'Started', { label: 'Duration', className: 'num' }, 'Summary', 'Process'],
          rows.length ? rows : [emptyRow(6, 'No maintenance run recorded yet.')], { className: 'data', testid: 'runs-table' }));
      },
    };
  }

  function describeCheckpoint(r) {
    if (!r || typeof r !== 'object') return 'done';
    const parts = [];
    if (r.mode) parts.push(words(r.mode));
    if (r.logFrames !== undefined) parts.push(`${fmtInt(r.checkpointedFrames)} of ${fmtInt(r.logFrames)} frames copied`);
    if (r.busy) parts.push('busy (a reader still needs part of the WAL)');
    if (r.walBytesAfter !== undefined) parts.push(`WAL now ${fmtBytes(r.walBytesAfter)}`);
    return parts.join(', ') || 'done';
  }

  // ---------- Routing ----------

  function route() {
    const { parts, params } = parseHash();
    const root = $('main');
    const [first, second] = parts;
    let key = first || 'overview';
    app.generation += 1;
    app.lastJson = '';
    app.lastData = undefined;
    clearTimeout(app.timer);
    hideError();
    let page;
    if (key === 'overview') page = mountOverview(root);
    else if (key === 'jobs' && second !== undefined) { page = mountJob(root, second); key = 'job'; }
    else if (key === 'jobs') { page = mountJobs(root, params); if (params.get('state') === 'dead') key = 'dead'; }
    else if (key === 'dead') { location.replace('#/jobs?state=dead'); return; }
    else if (key === 'recurring' && second !== undefined) { page = mountSchedule(root, second); key = 'recurring'; }
    else if (key === 'recurring') page = mountRecurring(root);
    else if (key === 'workers') page = mountWorkers(root);
    else if (key === 'storage') page = mountStorage(root);
    else { location.replace('#/overview'); return; }
    app.page = page;
    for (const a of document.querySelectorAll('.nav a')) {
      const active = a.dataset.page === key || (key === 'job' && a.dataset.page === 'jobs');
      a.classList.toggle('active', active);
      if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    window.scrollTo(0, 0);
    refreshNow();
  }

  async function start() {
    $('error-close').addEventListener('click', hideError);
    $('notice-close').addEventListener('click', () => { $('notice-banner').hidden = true; });
    for (;;) {
      try {
        app.config = await get('api/config');
        break;
      } catch (e) {
        showError(`Could not read the dashboard's configuration: ${e.message || e}. Trying again…`);
        await new Promise((r) => setTimeout(r, 3000));
      }
    }
    hideError();
    const cfg = app.config;
    const title = cfg.title || 'SqliteQueue';
    document.title = title;
    $('app-title').textContent = title;
    $('readonly-badge').hidden = !cfg.readOnly;
    document.body.classList.toggle('read-only', Boolean(cfg.readOnly));
    if (!location.hash || location.hash === '#' || location.hash === '#/') history.replaceState(null, '', '#/overview');
    window.addEventListener('hashchange', route);
    let resizeTimer = 0;
    let lastWidth = window.innerWidth;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        if (window.innerWidth === lastWidth) return;
        lastWidth = window.innerWidth;
        if (app.page && app.page.resizes && app.lastData !== undefined) app.page.render(app.lastData);
      }, 200);
    });
    document.addEventListener('visibilitychange', () => {
      $('live').classList.toggle('live-paused', document.visibilityState === 'hidden');
      if (document.visibilityState === 'visible') refreshNow();
      else clearTimeout(app.timer);
    });
    route();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
