/* global window, document, fetch, sessionStorage, navigator, location, setTimeout, clearTimeout, getComputedStyle, Option, Chart, CustomEvent */
// Landing page: every figure is one OData request with $apply to this server's /odata/ feed, sent with the
// read key in the X-Api-Key header. Each tile shows the exact URL it used, ready to paste into Power BI.
(function () {
  'use strict';

  const KEY_STORAGE = 'taskfeed.readKey';
  const LIVE_INTERVAL_MS = 5000;
  const ORIGIN = location.origin;

  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

  const els = {
    keyForm: $('#key-form'),
    keyInput: $('#read-key'),
    keyForget: $('#key-forget'),
    devNotice: $('#dev-keys-notice'),
    error: $('#error'),
    errorTitle: $('#error-title'),
    errorMessage: $('#error-message'),
    errorDetail: $('#error-detail'),
    filters: $('#filters'),
    period: $('#period'),
    customRange: $('#custom-range'),
    from: $('#from'),
    to: $('#to'),
    project: $('#project'),
    periodLabel: $('#period-label'),
    dashboard: $('#dashboard'),
    firstEvent: $('#first-event'),
    firstCurl: $('#first-curl'),
    latestBody: $('#latest-table tbody'),
    liveStatus: $('#live-status'),
    liveText: $('#live-text'),
    announce: $('#announce'),
    recipeTemplate: $('#recipe-template'),
  };

  const devKeys = document.body.dataset.devKeys === 'true';
  const numberFormat = new Intl.NumberFormat(undefined);
  const dayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
  const longDayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
  const timeFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });

  const state = {
    key: readStoredKey(),
    generation: 0,
    liveTimer: undefined,
    liveGeneration: 0,
    latestTopId: undefined,
    latestRowIds: undefined,
    charts: { topTasks: undefined, perDay: undefined },
    range: undefined,
  };

  // ---------------------------------------------------------------- key

  function readStoredKey() {
    try {
      return sessionStorage.getItem(KEY_STORAGE) || '';
    } catch {
      return '';
    }
  }

  function storeKey(key) {
    try {
      if (key) sessionStorage.setItem(KEY_STORAGE, key);
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch {
      // Storage may be disabled: the key then lives only in this page.
    }
    state.key = key;
  }

  // ---------------------------------------------------------------- OData URLs (public/urls.js)

  const { TaskfeedUrls } = window;
  const recipes = (range, project) => TaskfeedUrls.recipes(ORIGIN, range, project);
  const latestUrl = (project) => TaskfeedUrls.latestUrl(ORIGIN, project);
  const projectsUrl = () => TaskfeedUrls.projectsUrl(ORIGIN);

  // ---------------------------------------------------------------- requests

  class ODataError extends Error {
    constructor(status, code, message, url) {
      super(message);
      this.status = status;
      this.code = code;
      this.url = url;
    }
  }

  async function getJson(url) {
    let response;
    try {
      // credentials 'omit': the key travels in X-Api-Key only, and a 401 never opens the browser's login dialog.
      response = await fetch(url, {
        headers: { 'X-Api-Key': state.key, Accept: 'application/json' },
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (err) {
      throw new ODataError(0, 'NETWORK', `The server did not answer (${err && err.message ? err.message : 'network error'}).`, url);
    }
    let body;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const error = body && body.error ? body.error : {};
      throw new ODataError(response.status, error.code || `HTTP_${response.status}`, error.message || response.statusText || 'Request failed', url);
    }
    return body || {};
  }

  /** One aggregated number: the alias of the single row an aggregate() returns (0 when there is no row). */
  async function getAggregate(url, alias) {
    const body = await getJson(url);
    const row = Array.isArray(body.value) ? body.value[0] : undefined;
    const value = row === undefined ? 0 : Number(row[alias]);
    if (!Number.isFinite(value)) throw new ODataError(200, 'UNEXPECTED', `The response has no number named ${alias}.`, url);
    return value;
  }

  // ---------------------------------------------------------------- errors

  const sentence = (text) => (/[.!?]$/.test(text) ? text : `${text}.`);

  function showError(err) {
    if (err.status === 401) {
      els.errorTitle.textContent = 'The read key was not accepted';
      els.errorMessage.textContent = `${sentence(err.message)} Check the key and enter it again above.`;
    } else if (err.status === 403) {
      els.errorTitle.textContent = 'This key may not read that data';
      els.errorMessage.textContent = err.message;
    } else {
      els.errorTitle.textContent = 'The OData service returned an error';
      els.errorMessage.textContent = err.message;
    }
    els.errorDetail.textContent = `${err.status ? `HTTP ${err.status}` : 'No response'} · ${err.code} · GET ${err.url}`;
    els.error.hidden = false;
    els.error.dataset.status = String(err.status);
  }

  function clearError() {
    els.error.hidden = true;
    delete els.error.dataset.status;
  }

  function isAuthError(err) {
    return err instanceof ODataError && (err.status === 401 || err.status === 403);
  }

  // ---------------------------------------------------------------- recipes (the OData URL of each tile)

  /** The URL as people read it: percent-decoded, with line-break opportunities after '/', '&' and ','. */
  function readableUrl(url) {
    try {
      return decodeURIComponent(url);
    } catch {
      return url;
    }
  }

  function renderUrl(code, url) {
    code.textContent = '';
    for (const part of readableUrl(url).split(/(?<=[/&,?])/)) {
      code.append(part, document.createElement('wbr'));
    }
  }

  function closeRecipe(recipe) {
    const toggle = $('.recipe-toggle', recipe);
    if (toggle.getAttribute('aria-expanded') !== 'true') return;
    toggle.setAttribute('aria-expanded', 'false');
    $('.recipe-body', recipe).hidden = true;
  }

  function attachRecipe(tile) {
    const slot = $('.recipe-slot', tile);
    const node = els.recipeTemplate.content.firstElementChild.cloneNode(true);
    const toggle = $('.recipe-toggle', node);
    const body = $('.recipe-body', node);
    body.id = `${tile.id}-recipe`;
    toggle.setAttribute('aria-controls', body.id);
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      for (const other of $$('.recipe')) if (other !== node) closeRecipe(other);
      toggle.setAttribute('aria-expanded', String(open));
      body.hidden = !open;
      if (open) {
        // Open towards the side with room: tiles on the right open leftwards.
        body.classList.remove('align-right');
        if (body.getBoundingClientRect().right > document.documentElement.clientWidth - 12) body.classList.add('align-right');
      }
    });
    node.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && toggle.getAttribute('aria-expanded') === 'true') {
        closeRecipe(node);
        toggle.focus();
      }
    });
    const copy = $('.recipe-copy', node);
    copy.addEventListener('click', () => copyText(tile.dataset.odataUrl || '', copy));
    slot.appendChild(node);
  }

  function setRecipe(tile, url) {
    renderUrl($('.recipe-url', tile), url);
    tile.dataset.odataUrl = url;
    $('.recipe-toggle', tile).title = readableUrl(url);
  }

  // ---------------------------------------------------------------- copy

  async function copyText(text, button) {
    let done = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        done = true;
      }
    } catch {
      done = false;
    }
    if (!done) {
      const area = document.createElement('textarea');
      area.value = text;
      area.setAttribute('readonly', '');
      area.className = 'visually-hidden';
      document.body.appendChild(area);
      area.select();
      try {
        done = document.execCommand('copy');
      } catch {
        done = false;
      }
      area.remove();
      button.focus();
    }
    const message = done ? 'Copied to the clipboard.' : 'Copying is not allowed here: select the text and copy it by hand.';
    els.announce.textContent = message;
    if (!button.dataset.label) button.dataset.label = button.textContent;
    button.textContent = done ? 'Copied' : 'Copy failed';
    clearTimeout(Number(button.dataset.timer));
    button.dataset.timer = String(
      setTimeout(() => {
        button.textContent = button.dataset.label;
        if (els.announce.textContent === message) els.announce.textContent = '';
      }, 2000),
    );
  }

  // ---------------------------------------------------------------- period

  const startOfDay = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const addDays = (d, n) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
  const dateInputValue = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

  function parseDateInput(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
  }

  /** The selected period as [from, to) in local calendar days; undefined while a custom range is incomplete. */
  function selectedRange() {
    const today = startOfDay(new Date());
    switch (els.period.value) {
      case 'today':
        return { from: today, to: addDays(today, 1) };
      case '30d':
        return { from: addDays(today, -29), to: addDays(today, 1) };
      case 'custom': {
        const from = parseDateInput(els.from.value);
        const to = parseDateInput(els.to.value);
        if (!from || !to || to < from) return undefined;
        return { from, to: addDays(to, 1) };
      }
      default:
        return { from: addDays(today, -6), to: addDays(today, 1) };
    }
  }

  function offsetLabel(at) {
    const offset = -at.getTimezoneOffset();
    const abs = Math.abs(offset);
    return `UTC${offset < 0 ? '−' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  }

  function describeRange(range, project) {
    const last = addDays(range.to, -1);
    const days = range.from.getTime() === last.getTime() ? longDayFormat.format(range.from) : `${longDayFormat.format(range.from)} – ${longDayFormat.format(last)}`;
    return `${days} · ${project ? `project ${project}` : 'all projects'} · local time (${offsetLabel(range.from)})`;
  }

  // ---------------------------------------------------------------- rendering

  const kpiTiles = {
    tasksReached: $('#kpi-tasks'),
    sessions: $('#kpi-sessions'),
    contacts: $('#kpi-contacts'),
    handovers: $('#kpi-handovers'),
  };
  const topTasksTile = $('#top-tasks');
  const perDayTile = $('#per-day');
  const latestTile = $('#latest');

  function setTileError(tile, err) {
    tile.classList.add('has-error');
    let note = $('.tile-error', tile);
    if (!note) {
      note = document.createElement('p');
      note.className = 'tile-error';
      $('.tile-sub', tile).after(note);
    }
    note.textContent = `${err.status ? `HTTP ${err.status}: ` : ''}${err.message}`;
  }

  function clearTileError(tile) {
    tile.classList.remove('has-error');
    const note = $('.tile-error', tile);
    if (note) note.remove();
  }

  function setKpi(tile, value) {
    const el = $('[data-value]', tile);
    tile.classList.remove('is-loading');
    if (value === undefined) {
      el.textContent = '–';
      delete el.dataset.raw;
      return;
    }
    el.textContent = numberFormat.format(value);
    el.dataset.raw = String(value);
  }

  function fillTable(tbody, rows, emptyText, columns) {
    tbody.textContent = '';
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      tr.className = 'placeholder';
      const td = document.createElement('td');
      td.colSpan = columns;
      td.textContent = emptyText;
      tr.appendChild(td);
      tbody.appendChild(tr);
      return;
    }
    for (const cells of rows) {
      const tr = document.createElement('tr');
      for (const cell of cells) {
        const td = document.createElement('td');
        if (cell.className) td.className = cell.className;
        if (cell.title) td.title = cell.title;
        if (cell.pill) {
          const span = document.createElement('span');
          span.className = 'task-pill';
          span.textContent = cell.text;
          td.appendChild(span);
        } else {
          td.textContent = cell.text;
        }
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
  }

  const chartAvailable = () => typeof Chart === 'function';

  function chartDefaults() {
    if (!chartAvailable()) return;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 12;
    Chart.defaults.color = '#4a5568';
    Chart.defaults.borderColor = '#eef1f5';
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.plugins.legend.display = false;
  }

  function renderTopTasks(rows) {
    const labels = rows.map((r) => String(r.task));
    const values = rows.map((r) => Number(r.sessions));
    const canvas = $('#top-tasks-canvas');
    $('.chart-empty', topTasksTile).hidden = rows.length > 0;
    $('.chart-box', topTasksTile).classList.toggle('is-empty', rows.length === 0);
    canvas.setAttribute(
      'aria-label',
      rows.length === 0 ? 'Top tasks: no completed tasks in this period.' : `Top tasks by sessions: ${labels.map((l, i) => `${l} ${values[i]}`).join(', ')}.`,
    );
    fillTable($('#top-tasks-table tbody'), rows.map((r) => [{ text: String(r.task) }, { text: numberFormat.format(Number(r.sessions)), className: 'num' }]), 'No completed tasks in this period.', 2);
    topTasksTile.dataset.bars = JSON.stringify(labels.map((task, i) => ({ task, sessions: values[i] })));
    if (!chartAvailable()) {
      showTableFallback(topTasksTile);
      return;
    }
    const data = { labels, datasets: [{ label: 'Sessions', data: values, backgroundColor: '#2f5bd3', hoverBackgroundColor: '#264bb3', borderRadius: 4, maxBarThickness: 22 }] };
    if (state.charts.topTasks) {
      state.charts.topTasks.data = data;
      state.charts.topTasks.update();
      return;
    }
    state.charts.topTasks = new Chart(canvas, {
      type: 'bar',
      data,
      options: {
        indexAxis: 'y',
        scales: {
          x: { beginAtZero: true, ticks: { precision: 0 }, grid: { color: '#eef1f5' } },
          y: { grid: { display: false }, ticks: { color: '#1b2333', font: { weight: '600' } } },
        },
        plugins: { tooltip: { callbacks: { label: (item) => ` ${numberFormat.format(item.parsed.x)} sessions` } } },
      },
    });
  }

  function renderPerDay(rows, range) {
    const counts = new Map(rows.map((r) => [String(r.day), Number(r.tasks)]));
    const days = [];
    for (let d = range.from; d < range.to; d = addDays(d, 1)) days.push(d);
    const values = days.map((d) => counts.get(dateInputValue(d)) || 0);
    const labels = days.map((d) => dayFormat.format(d));
    const canvas = $('#per-day-canvas');
    const total = values.reduce((a, b) => a + b, 0);
    canvas.setAttribute('aria-label', `Tasks per day, ${days.length} days, ${total} in all: ${labels.map((l, i) => `${l} ${values[i]}`).join(', ')}.`);
    fillTable($('#per-day-table tbody'), days.map((d, i) => [{ text: longDayFormat.format(d) }, { text: numberFormat.format(values[i]), className: 'num' }]), 'No days in this period.', 2);
    perDayTile.dataset.points = JSON.stringify(days.map((d, i) => ({ day: dateInputValue(d), tasks: values[i] })));
    $('#per-day-sub').textContent = `completed tasks per calendar day (${offsetLabel(range.from)})`;
    if (!chartAvailable()) {
      showTableFallback(perDayTile);
      return;
    }
    const single = days.length === 1;
    const data = {
      labels,
      datasets: [
        {
          label: 'Tasks',
          data: values,
          borderColor: '#2f5bd3',
          backgroundColor: 'rgba(47, 91, 211, 0.12)',
          pointBackgroundColor: '#2f5bd3',
          pointRadius: days.length > 20 ? 2 : 3.5,
          borderWidth: 2,
          fill: true,
          tension: 0,
        },
      ],
    };
    if (state.charts.perDay && state.charts.perDay.config.type === (single ? 'bar' : 'line')) {
      state.charts.perDay.data = data;
      state.charts.perDay.update();
      return;
    }
    if (state.charts.perDay) state.charts.perDay.destroy();
    if (single) Object.assign(data.datasets[0], { backgroundColor: '#2f5bd3', maxBarThickness: 64, borderRadius: 4 });
    state.charts.perDay = new Chart(canvas, {
      type: single ? 'bar' : 'line',
      data,
      options: {
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
          y: { beginAtZero: true, ticks: { precision: 0 }, grid: { color: '#eef1f5' } },
        },
        plugins: { tooltip: { callbacks: { label: (item) => ` ${numberFormat.format(item.parsed.y)} tasks` } } },
      },
    });
  }

  function showTableFallback(tile) {
    const toggle = $('[data-table-toggle]', tile);
    const table = document.getElementById(toggle.getAttribute('aria-controls'));
    table.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
    $('.chart-box', tile).hidden = true;
  }

  function renderLatest(rows) {
    const previous = state.latestRowIds || new Set();
    const cells = rows.map((r) => {
      const when = new Date(r.timestamp);
      return [
        { text: Number.isNaN(when.getTime()) ? String(r.timestamp) : timeFormat.format(when), title: String(r.timestamp), className: 'nowrap' },
        { text: String(r.task), pill: true },
        { text: String(r.contactId ?? ''), className: 'mono' },
        { text: String(r.sessionId ?? ''), className: 'mono' },
        { text: r.channel == null ? '—' : String(r.channel) },
        { text: String(r.projectId ?? '') },
      ];
    });
    fillTable(els.latestBody, cells, 'No task completions yet.', 6);
    const ids = new Set(rows.map((r) => String(r.id)));
    if (state.latestRowIds) {
      $$('tr', els.latestBody).forEach((tr, i) => {
        if (rows[i] && !previous.has(String(rows[i].id))) tr.classList.add('is-new');
      });
    }
    state.latestRowIds = ids;
  }

  function setLive(mode, text) {
    els.liveStatus.classList.toggle('is-live', mode === 'live');
    els.liveStatus.classList.toggle('is-paused', mode === 'paused');
    els.liveText.textContent = text;
  }

  /** Back to no figures at all: nothing read with an earlier key stays on the page. */
  function resetFigures() {
    for (const tile of Object.values(kpiTiles)) {
      setKpi(tile, undefined);
      clearTileError(tile);
    }
    for (const tile of [topTasksTile, perDayTile, latestTile]) clearTileError(tile);
    if (state.charts.topTasks) state.charts.topTasks.destroy();
    if (state.charts.perDay) state.charts.perDay.destroy();
    state.charts = { topTasks: undefined, perDay: undefined };
    $('.chart-box', topTasksTile).classList.remove('is-empty');
    $('.chart-empty', topTasksTile).hidden = true;
    fillTable(els.latestBody, [], 'No data yet.', 6);
    fillTable($('#top-tasks-table tbody'), [], 'No data yet.', 2);
    fillTable($('#per-day-table tbody'), [], 'No data yet.', 2);
    state.latestTopId = undefined;
    state.latestRowIds = undefined;
    els.firstEvent.hidden = true;
    document.dispatchEvent(new CustomEvent('taskfeed:reset'));
  }

  // ---------------------------------------------------------------- first event

  function offsetTimestamp(date) {
    const offset = -date.getTimezoneOffset();
    const local = new Date(date.getTime() + offset * 60000);
    const abs = Math.abs(offset);
    const zone = offset === 0 ? 'Z' : `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    return `${local.toISOString().slice(0, 19)}${zone}`;
  }

  function renderFirstEventCurl() {
    const event = {
      id: 'evt-1',
      type: 'task.completed',
      projectId: 'shop',
      timestamp: offsetTimestamp(new Date()),
      contactId: 'user-42',
      sessionId: 'sess-1',
      task: 'Order Placement',
    };
    const writeKey = devKeys ? 'dev-write-key' : 'YOUR_WRITE_KEY';
    els.firstCurl.textContent = [
      `curl -sS -X POST '${ORIGIN}/api/v1/events' \\`,
      `  -H 'Authorization: Bearer ${writeKey}' \\`,
      "  -H 'Content-Type: application/json' \\",
      `  -d '${JSON.stringify(event)}'`,
    ].join('\n');
  }

  // ---------------------------------------------------------------- loading

  async function loadProjects() {
    const body = await getJson(projectsUrl());
    const projects = (Array.isArray(body.value) ? body.value : [])
      .map((r) => r.projectId)
      .filter((p) => typeof p === 'string')
      .sort((a, b) => a.localeCompare(b));
    const selected = els.project.value;
    els.project.textContent = '';
    els.project.appendChild(new Option('All projects', ''));
    for (const p of projects) els.project.appendChild(new Option(p, p));
    els.project.value = projects.includes(selected) ? selected : '';
    return projects;
  }

  async function loadFigures() {
    const generation = ++state.generation;
    const range = selectedRange();
    if (!range) {
      els.periodLabel.textContent = 'Choose a start and an end day (the end on or after the start).';
      return;
    }
    const project = els.project.value;
    state.range = range;
    els.periodLabel.textContent = describeRange(range, project);
    // Goals panel (goals.js): the same period and project.
    document.dispatchEvent(new CustomEvent('taskfeed:figures', { detail: { range, project } }));
    const urls = recipes(range, project);
    for (const [metric, tile] of Object.entries(kpiTiles)) {
      setRecipe(tile, urls[metric]);
      tile.classList.add('is-loading');
    }
    setRecipe(topTasksTile, urls.topTasks);
    setRecipe(perDayTile, urls.perDay);
    els.dashboard.setAttribute('aria-busy', 'true');
    els.dashboard.dataset.status = 'loading';

    const jobs = [
      ...Object.entries(kpiTiles).map(([metric, tile]) =>
        getAggregate(urls[metric], metric).then(
          (value) => {
            if (generation !== state.generation) return;
            clearTileError(tile);
            setKpi(tile, value);
          },
          (err) => {
            if (generation !== state.generation) return;
            setKpi(tile, undefined);
            setTileError(tile, err);
            throw err;
          },
        ),
      ),
      getJson(urls.topTasks).then(
        (body) => {
          if (generation !== state.generation) return;
          clearTileError(topTasksTile);
          renderTopTasks(Array.isArray(body.value) ? body.value : []);
        },
        (err) => {
          if (generation === state.generation) setTileError(topTasksTile, err);
          throw err;
        },
      ),
      getJson(urls.perDay).then(
        (body) => {
          if (generation !== state.generation) return;
          clearTileError(perDayTile);
          renderPerDay(Array.isArray(body.value) ? body.value : [], range);
        },
        (err) => {
          if (generation === state.generation) setTileError(perDayTile, err);
          throw err;
        },
      ),
    ];
    const results = await Promise.allSettled(jobs);
    if (generation !== state.generation) return;
    const failure = results.find((r) => r.status === 'rejected');
    els.dashboard.removeAttribute('aria-busy');
    if (failure) {
      showError(failure.reason);
      els.dashboard.dataset.status = isAuthError(failure.reason) ? 'unauthorized' : 'error';
      if (isAuthError(failure.reason)) stopLive();
    } else {
      els.dashboard.dataset.status = 'ready';
    }
  }

  async function loadLatest() {
    const generation = state.liveGeneration;
    const project = els.project.value;
    const url = latestUrl(project);
    setRecipe(latestTile, url);
    const body = await getJson(url);
    if (generation !== state.liveGeneration) return false;
    const rows = Array.isArray(body.value) ? body.value : [];
    clearTileError(latestTile);
    renderLatest(rows);
    // '' once loaded and empty; undefined before the first load of this project.
    const topId = rows[0] ? String(rows[0].id) : '';
    const changed = state.latestTopId !== undefined && topId !== state.latestTopId;
    state.latestTopId = topId;
    setLive('live', `Live · updated ${new Date().toLocaleTimeString()}`);
    return changed;
  }

  function stopLive() {
    state.liveGeneration += 1;
    if (state.liveTimer !== undefined) clearTimeout(state.liveTimer);
    state.liveTimer = undefined;
  }

  function scheduleLive() {
    if (state.liveTimer !== undefined) clearTimeout(state.liveTimer);
    state.liveTimer = undefined;
    if (!state.key) return;
    if (document.visibilityState !== 'visible') {
      setLive('paused', 'Paused while this tab is hidden');
      return;
    }
    state.liveTimer = setTimeout(liveTick, LIVE_INTERVAL_MS);
  }

  async function liveTick() {
    state.liveTimer = undefined;
    const generation = state.liveGeneration;
    try {
      const changed = await loadLatest();
      // A new completion inside the period: the figures are out of date too.
      if (changed && state.range && state.range.to > new Date()) {
        if (els.firstEvent.hidden === false) await refreshAll();
        else await loadFigures();
      }
    } catch (err) {
      if (generation !== state.liveGeneration) return;
      setTileError(latestTile, err);
      setLive('paused', 'Not updating');
      if (isAuthError(err)) {
        showError(err);
        stopLive();
        return;
      }
    }
    if (generation === state.liveGeneration) scheduleLive();
  }

  /** Projects, figures and the live table, from scratch (a new key, or the first load). */
  async function refreshAll() {
    stopLive();
    clearError();
    resetFigures();
    if (!state.key) {
      els.dashboard.dataset.status = 'no-key';
      els.periodLabel.textContent = 'Enter a read key above to see the figures.';
      setLive('idle', 'Waiting for a read key');
      return;
    }
    let projects;
    try {
      projects = await loadProjects();
    } catch (err) {
      showError(err);
      els.dashboard.dataset.status = isAuthError(err) ? 'unauthorized' : 'error';
      els.periodLabel.textContent = isAuthError(err) ? 'Enter a valid read key above to see the figures.' : 'The figures could not be loaded.';
      if (!isAuthError(err)) await loadFigures();
      return;
    }
    els.firstEvent.hidden = projects.length > 0;
    if (projects.length === 0) renderFirstEventCurl();
    const live = loadLatest().catch((err) => {
      setTileError(latestTile, err);
      setLive('paused', 'Not updating');
    });
    await Promise.all([loadFigures(), live]);
    if (els.dashboard.dataset.status !== 'unauthorized') scheduleLive();
  }

  // ---------------------------------------------------------------- events

  function bindEvents() {
    els.keyForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const key = els.keyInput.value.trim();
      if (!key) {
        els.keyInput.focus();
        return;
      }
      storeKey(key);
      els.keyForget.hidden = false;
      refreshAll();
    });
    els.keyForget.addEventListener('click', () => {
      storeKey('');
      els.keyInput.value = '';
      els.keyForget.hidden = true;
      refreshAll();
      els.keyInput.focus();
    });
    els.filters.addEventListener('submit', (event) => {
      event.preventDefault();
      refreshAll();
    });
    els.period.addEventListener('change', () => {
      const custom = els.period.value === 'custom';
      els.customRange.hidden = !custom;
      if (custom) {
        if (!els.from.value || !els.to.value) {
          const today = startOfDay(new Date());
          els.from.value = dateInputValue(addDays(today, -13));
          els.to.value = dateInputValue(today);
        }
        els.from.focus();
      }
      if (state.key) loadFigures();
    });
    for (const input of [els.from, els.to]) {
      input.addEventListener('change', () => {
        if (state.key) loadFigures();
      });
    }
    els.project.addEventListener('change', () => {
      if (!state.key) return;
      state.liveGeneration += 1;
      state.latestRowIds = undefined;
      state.latestTopId = undefined;
      loadFigures();
      loadLatest().then(scheduleLive, (err) => setTileError(latestTile, err));
    });
    document.addEventListener('click', (event) => {
      for (const recipe of $$('.recipe')) if (!recipe.contains(event.target)) closeRecipe(recipe);
    });
    document.addEventListener('visibilitychange', () => {
      if (!state.key || els.dashboard.dataset.status === 'unauthorized') return;
      if (document.visibilityState === 'visible') {
        if (state.liveTimer !== undefined) clearTimeout(state.liveTimer);
        state.liveTimer = undefined;
        liveTick();
      } else {
        if (state.liveTimer !== undefined) clearTimeout(state.liveTimer);
        state.liveTimer = undefined;
        setLive('paused', 'Paused while this tab is hidden');
      }
    });
    for (const button of $$('[data-copy]')) {
      button.addEventListener('click', () => {
        const target = document.getElementById(button.dataset.copy);
        const text = 'value' in target ? target.value : target.textContent;
        copyText(text, button);
      });
    }
    for (const toggle of $$('[data-table-toggle]')) {
      toggle.addEventListener('click', () => {
        const table = document.getElementById(toggle.getAttribute('aria-controls'));
        const open = toggle.getAttribute('aria-expanded') !== 'true';
        toggle.setAttribute('aria-expanded', String(open));
        table.hidden = !open;
        const box = $('.chart-box', toggle.closest('.tile'));
        if (chartAvailable()) box.hidden = open;
      });
    }
  }

  // What the Goals panel (goals.js) shares with this page: URL building, requests, tiles and their OData URL.
  window.taskfeedPage = {
    odataUrl: (entitySet, params) => TaskfeedUrls.odataUrl(ORIGIN, entitySet, params),
    quote: TaskfeedUrls.quote,
    rangeFilter: TaskfeedUrls.rangeFilter,
    localDayExpression: TaskfeedUrls.localDayExpression,
    getJson, getAggregate, attachRecipe, setRecipe, setKpi,
    setTileError, clearTileError, fillTable, chartAvailable, showTableFallback, numberFormat, dayFormat, longDayFormat,
    addDays, dateInputValue, offsetLabel,
  };

  function init() {
    $('#feed-url').value = `${ORIGIN}/odata/`;
    $('#compat-url').value = `${ORIGIN}/v2.3/`;
    $('#anon-url').value = `${ORIGIN}/odata/?apikey=YOUR_READ_KEY`;
    els.devNotice.hidden = !devKeys;
    for (const tile of [...Object.values(kpiTiles), topTasksTile, perDayTile, latestTile]) attachRecipe(tile);
    chartDefaults();
    bindEvents();
    if (state.key) {
      els.keyInput.value = state.key;
      els.keyForget.hidden = false;
    }
    const range = selectedRange();
    if (range) {
      const urls = recipes(range, '');
      for (const [metric, tile] of Object.entries(kpiTiles)) setRecipe(tile, urls[metric]);
      setRecipe(topTasksTile, urls.topTasks);
      setRecipe(perDayTile, urls.perDay);
      setRecipe(latestTile, latestUrl(''));
    }
    refreshAll();
  }

  init();
})();
