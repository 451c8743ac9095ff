/* global window, document, Chart */
// Goals panel of the landing page: every figure is one OData $apply request on GoalCycles or GoalEvents, for the
// period and project chosen above (app.js announces them), each with its OData URL button.
(function () {
  'use strict';

  const page = window.taskfeedPage;
  const $ = (selector, root) => (root || document).querySelector(selector);

  const tiles = {
    completed: $('#goal-kpi-completed'),
    partiallyCompleted: $('#goal-kpi-partial'),
    timeSaved: $('#goal-kpi-time'),
    costSaved: $('#goal-kpi-cost'),
  };
  const statusTile = $('#goal-status');
  const savingsTile = $('#goal-savings');
  const funnelTile = $('#goal-funnel');
  const panel = $('#goals');
  const goalSelect = $('#goal-select');
  const hoursFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

  const STATUSES = [
    ['completed', 'Completed', '#1f8a4c'],
    ['partially completed', 'Partially completed', '#e0a526'],
    ['incomplete', 'Incomplete', '#b8c0cc'],
  ];

  const state = { generation: 0, range: undefined, project: '', charts: {} };

  // ---------------------------------------------------------------- OData URLs

  function cycleFilter(range, project, extra) {
    const base = page.rangeFilter('startedAt', range, project);
    return extra ? `${base} and ${extra}` : base;
  }

  /** The OData URL of every goal figure for one period and project. */
  function recipes(range, project) {
    const tracked = "status ne 'incomplete'";
    return {
      completed: page.odataUrl('GoalCycles', [['$apply', `filter(${cycleFilter(range, project, "status eq 'completed'")})/aggregate($count as completed)`]]),
      partiallyCompleted: page.odataUrl('GoalCycles', [
        ['$apply', `filter(${cycleFilter(range, project, "status eq 'partially completed'")})/aggregate($count as partiallyCompleted)`],
      ]),
      timeSaved: page.odataUrl('GoalCycles', [['$apply', `filter(${cycleFilter(range, project, tracked)})/aggregate(timeSavedSeconds with sum as timeSaved)`]]),
      costSaved: page.odataUrl('GoalCycles', [['$apply', `filter(${cycleFilter(range, project, tracked)})/aggregate(costSavings with sum as costSaved)`]]),
      goalStatus: page.odataUrl('GoalCycles', [['$apply', `filter(${cycleFilter(range, project)})/groupby((goalId,status),aggregate($count as cycles))/orderby(goalId)`]]),
      goalSavings: page.odataUrl('GoalCycles', [
        [
          '$apply',
          `filter(${cycleFilter(range, project, tracked)})/compute(${page.localDayExpression('startedAt', range.from)} as day)` +
            '/groupby((day),aggregate(timeSavedSeconds with sum as timeSaved,costSavings with sum as costSaved))/orderby(day)',
        ],
      ]),
    };
  }

  function funnelUrl(range, project, goalId) {
    const filter = `${page.rangeFilter('timestamp', range, project)} and goalId eq ${page.quote(goalId)}`;
    return page.odataUrl('GoalEvents', [['$apply', `filter(${filter})/groupby((stepId),aggregate(goalCycleId with countdistinct as cycles))/orderby(cycles desc,stepId)`]]);
  }

  // ---------------------------------------------------------------- rendering

  function chart(name, canvas, config) {
    if (state.charts[name]) state.charts[name].destroy();
    state.charts[name] = new Chart(canvas, config);
  }

  function setTimeSaved(seconds) {
    page.setKpi(tiles.timeSaved, seconds);
    $('[data-value]', tiles.timeSaved).textContent = `${hoursFormat.format(seconds / 3600)} h`;
  }

  /** Rows of (goalId, status, cycles) → one stacked bar per goal. */
  function renderStatus(rows) {
    const goals = [...new Set(rows.map((r) => String(r.goalId)))];
    const count = (goal, status) => Number((rows.find((r) => r.goalId === goal && r.status === status) || {}).cycles || 0);
    const canvas = $('#goal-status-canvas');
    canvas.setAttribute(
      'aria-label',
      goals.length === 0
        ? 'Cycles per goal: no goal cycles in this period.'
        : `Cycles per goal: ${goals.map((g) => `${g} ${STATUSES.map(([s, label]) => `${count(g, s)} ${label.toLowerCase()}`).join(', ')}`).join('; ')}.`,
    );
    page.fillTable(
      $('#goal-status-table tbody'),
      goals.map((g) => [{ text: g }, ...STATUSES.map(([s]) => ({ text: page.numberFormat.format(count(g, s)), className: 'num' }))]),
      'No goal cycles in this period.',
      4,
    );
    statusTile.dataset.bars = JSON.stringify(goals.map((goalId) => ({ goalId, ...Object.fromEntries(STATUSES.map(([s]) => [s, count(goalId, s)])) })));
    if (!page.chartAvailable()) {
      page.showTableFallback(statusTile);
      return;
    }
    chart('status', canvas, {
      type: 'bar',
      data: {
        labels: goals,
        datasets: STATUSES.map(([s, label, color]) => ({ label, data: goals.map((g) => count(g, s)), backgroundColor: color, maxBarThickness: 22 })),
      },
      options: {
        indexAxis: 'y',
        scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true, grid: { display: false } } },
        plugins: { legend: { display: true, position: 'bottom' } },
      },
    });
  }

  /** Rows of (day, timeSaved, costSaved) → every day of the period, hours as bars and cost as a line. */
  function renderSavings(rows, range) {
    const byDay = new Map(rows.map((r) => [String(r.day), r]));
    const days = [];
    for (let d = range.from; d < range.to; d = page.addDays(d, 1)) days.push(d);
    const hours = days.map((d) => Number((byDay.get(page.dateInputValue(d)) || {}).timeSaved || 0) / 3600);
    const cost = days.map((d) => Number((byDay.get(page.dateInputValue(d)) || {}).costSaved || 0));
    const labels = days.map((d) => page.dayFormat.format(d));
    $('#goal-savings-canvas').setAttribute('aria-label', `Hours saved and cost savings per day: ${labels.map((l, i) => `${l} ${hoursFormat.format(hours[i])} h, ${cost[i]}`).join('; ')}.`);
    page.fillTable(
      $('#goal-savings-table tbody'),
      days.map((d, i) => [{ text: page.longDayFormat.format(d) }, { text: hoursFormat.format(hours[i]), className: 'num' }, { text: page.numberFormat.format(cost[i]), className: 'num' }]),
      'No days in this period.',
      3,
    );
    savingsTile.dataset.points = JSON.stringify(days.map((d, i) => ({ day: page.dateInputValue(d), timeSaved: Math.round(hours[i] * 3600), costSaved: cost[i] })));
    if (!page.chartAvailable()) {
      page.showTableFallback(savingsTile);
      return;
    }
    chart('savings', $('#goal-savings-canvas'), {
      type: 'bar',
      data: {
        labels,
        datasets: [
          { type: 'bar', label: 'Hours saved', data: hours, backgroundColor: '#2f5bd3', borderRadius: 4, maxBarThickness: 28, yAxisID: 'hours' },
          { type: 'line', label: 'Cost savings', data: cost, borderColor: '#1f8a4c', backgroundColor: '#1f8a4c', pointRadius: 3, tension: 0, yAxisID: 'cost' },
        ],
      },
      options: {
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
          hours: { position: 'left', beginAtZero: true, title: { display: true, text: 'hours' } },
          cost: { position: 'right', beginAtZero: true, grid: { display: false }, title: { display: true, text: 'cost savings' } },
        },
        plugins: { legend: { display: true, position: 'bottom' } },
      },
    });
  }

  function renderFunnel(rows) {
    const labels = rows.map((r) => String(r.stepId));
    const values = rows.map((r) => Number(r.cycles));
    const canvas = $('#goal-funnel-canvas');
    $('.chart-empty', funnelTile).hidden = rows.length > 0;
    $('.chart-box', funnelTile).classList.toggle('is-empty', rows.length === 0);
    canvas.setAttribute('aria-label', rows.length === 0 ? 'Step funnel: no cycles.' : `Step funnel: ${labels.map((l, i) => `${l} ${values[i]}`).join(', ')}.`);
    funnelTile.dataset.bars = JSON.stringify(labels.map((stepId, i) => ({ stepId, cycles: values[i] })));
    if (!page.chartAvailable()) return;
    chart('funnel', canvas, {
      type: 'bar',
      data: { labels, datasets: [{ label: 'Cycles', data: values, backgroundColor: '#6d5bd0', borderRadius: 4, maxBarThickness: 22 }] },
      options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } } },
    });
  }

  function fillGoalSelect(goals) {
    const selected = goalSelect.value;
    goalSelect.textContent = '';
    for (const goal of goals) goalSelect.appendChild(new window.Option(goal, goal));
    goalSelect.value = goals.includes(selected) ? selected : (goals[0] ?? '');
    goalSelect.disabled = goals.length === 0;
  }

  // ---------------------------------------------------------------- loading

  /** Runs one figure's request; a failure marks its tile and is passed on. */
  function figure(tile, promise, render, generation) {
    return promise.then(
      (value) => {
        if (generation !== state.generation) return;
        page.clearTileError(tile);
        render(value);
      },
      (err) => {
        if (generation === state.generation) page.setTileError(tile, err);
        throw err;
      },
    );
  }

  async function loadFunnel(generation) {
    const goalId = goalSelect.value;
    if (!goalId) {
      funnelTile.removeAttribute('data-odata-url');
      renderFunnel([]);
      return;
    }
    const url = funnelUrl(state.range, state.project, goalId);
    page.setRecipe(funnelTile, url);
    await figure(funnelTile, page.getJson(url), (body) => renderFunnel(Array.isArray(body.value) ? body.value : []), generation);
  }

  async function loadGoals(range, project) {
    const generation = ++state.generation;
    state.range = range;
    state.project = project;
    const urls = recipes(range, project);
    for (const [metric, tile] of Object.entries(tiles)) page.setRecipe(tile, urls[metric]);
    page.setRecipe(statusTile, urls.goalStatus);
    page.setRecipe(savingsTile, urls.goalSavings);
    panel.dataset.status = 'loading';
    const jobs = [
      ...Object.entries(tiles).map(([metric, tile]) =>
        figure(tile, page.getAggregate(urls[metric], metric), (value) => (metric === 'timeSaved' ? setTimeSaved(value) : page.setKpi(tile, value)), generation),
      ),
      figure(
        statusTile,
        page.getJson(urls.goalStatus),
        (body) => {
          const rows = Array.isArray(body.value) ? body.value : [];
          renderStatus(rows);
          fillGoalSelect([...new Set(rows.map((r) => String(r.goalId)))]);
        },
        generation,
      ).then(() => (generation === state.generation ? loadFunnel(generation) : undefined)),
      figure(savingsTile, page.getJson(urls.goalSavings), (body) => renderSavings(Array.isArray(body.value) ? body.value : [], range), generation),
    ];
    const results = await Promise.allSettled(jobs);
    if (generation !== state.generation) return;
    panel.dataset.status = results.some((r) => r.status === 'rejected') ? 'error' : 'ready';
  }

  function reset() {
    state.generation += 1;
    for (const tile of Object.values(tiles)) {
      page.setKpi(tile, undefined);
      page.clearTileError(tile);
    }
    for (const tile of [statusTile, savingsTile, funnelTile]) page.clearTileError(tile);
    for (const c of Object.values(state.charts)) c.destroy();
    state.charts = {};
    page.fillTable($('#goal-status-table tbody'), [], 'No data yet.', 4);
    page.fillTable($('#goal-savings-table tbody'), [], 'No data yet.', 3);
    fillGoalSelect([]);
    delete panel.dataset.status;
  }

  for (const tile of [...Object.values(tiles), statusTile, savingsTile, funnelTile]) page.attachRecipe(tile);
  document.addEventListener('taskfeed:figures', (event) => loadGoals(event.detail.range, event.detail.project));
  document.addEventListener('taskfeed:reset', reset);
  goalSelect.addEventListener('change', () => {
    if (state.range) loadFunnel(state.generation);
  });
  reset();
})();
