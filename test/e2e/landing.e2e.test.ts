// The landing page in a real headless Chromium: empty state, seeded figures equal to the $apply URLs they show,
// the live table, a wrong key; screenshots to test-output/ (and docs/landing.png with UPDATE_DOCS_SCREENSHOT=1).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { createTestApp, READ_KEY, WRITE_KEY, type TestApp } from '../helpers/test-app';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = path.join(__dirname, '..', '..');
const OUTPUT = path.join(ROOT, 'test-output');
// The README's picture is refreshed on request only (UPDATE_DOCS_SCREENSHOT=1), so test runs leave the tree clean.
const SCREENSHOTS = [path.join(OUTPUT, 'landing.png'), ...(process.env.UPDATE_DOCS_SCREENSHOT === '1' ? [path.join(ROOT, 'docs', 'landing.png')] : [])];

const ci = process.env.CI !== undefined && process.env.CI !== '';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium && !ci) {
  console.warn(`landing e2e test skipped: ${CHROMIUM} is not installed (apt-get install -y chromium); CI always runs it.`);
}
const describeE2e = haveChromium || ci ? describe : describe.skip;

const HOUR = 3_600_000;
const NOW = Date.now();
const at = (hoursAgo: number) => new Date(NOW - hoursAgo * HOUR).toISOString();

interface TaskEvent {
  id: string;
  type: 'task.completed';
  projectId: string;
  timestamp: string;
  contactId: string;
  sessionId: string;
  task: string;
  channel?: string;
}

const task = (id: string, projectId: string, sessionId: string, contactId: string, name: string, hoursAgo: number, channel = 'webchat'): TaskEvent => ({
  id,
  type: 'task.completed',
  projectId,
  timestamp: at(hoursAgo),
  contactId,
  sessionId,
  task: name,
  channel,
});

// Inside "Last 7 days" whatever the hour: at most 5 days old. Session 's1' exists in both projects on purpose.
const SEED: object[] = [
  task('e-1', 'shop', 's1', 'u1', 'Order Placement', 50),
  task('e-2', 'shop', 's1', 'u1', 'Order Placement', 49.9),
  task('e-3', 'shop', 's1', 'u1', 'Account Registration', 49.8),
  task('e-4', 'shop', 's2', 'u2', 'Order Placement', 26, 'voice'),
  task('e-5', 'shop', 's3', 'u1', 'Appointment Booking', 3),
  task('e-6', 'bank', 's1', 'u9', 'Balance Inquiry', 100),
  task('e-7', 'bank', 's1', 'u9', 'Order Placement', 99.9),
  task('e-8', 'shop', 's4', 'u3', 'Order Placement', 20 * 24), // 20 days ago: outside the default period
  { id: 'h-1', type: 'handover', projectId: 'shop', timestamp: at(25.5), escalationId: 'esc-1', sessionId: 's2', userId: 'u2' },
  { id: 'h-2', type: 'handover', projectId: 'bank', timestamp: at(99), escalationId: 'esc-2', sessionId: 's1', userId: 'u9' },
];

// Goals: a support goal in both projects, with cycles in sessions the tasks above already opened (so the task figures stay).
const SUPPORT_GOAL = {
  name: 'Reduce Support Request Time',
  steps: [
    { stepId: 'received', name: 'Request Received', order: 1, type: 'start' },
    { stepId: 'answered', name: 'Answer Proposed', order: 2, metrics: [{ metricId: 'answered-time', name: 'Time saved', type: 'duration', value: 60 }] },
    {
      stepId: 'resolved',
      name: 'Resolved by Bot',
      order: 3,
      type: 'completion',
      metrics: [
        { metricId: 'resolved-time', name: 'Time saved', type: 'duration', value: 300 },
        { metricId: 'resolved-cost', name: 'Cost savings', type: 'currency', value: 4 },
      ],
    },
  ],
};

const goalStep = (id: string, projectId: string, sessionId: string, contactId: string, stepIds: string[], hoursAgo: number) => ({
  id,
  type: 'goal.step',
  projectId,
  timestamp: at(hoursAgo),
  sessionId,
  contactId,
  goalId: 'support',
  stepIds,
});

// shop s1 completed (360 s, 4), shop s2 partially completed (60 s), shop s3 incomplete, bank s1 completed (300 s, 4).
const GOAL_SEED: object[] = [
  goalStep('g-1', 'shop', 's1', 'u1', ['received'], 49.7),
  goalStep('g-2', 'shop', 's1', 'u1', ['answered', 'resolved'], 49.6),
  goalStep('g-3', 'shop', 's2', 'u2', ['received'], 25.9),
  goalStep('g-4', 'shop', 's2', 'u2', ['answered'], 25.8),
  goalStep('g-5', 'shop', 's3', 'u1', ['received'], 2.9),
  goalStep('g-6', 'bank', 's1', 'u9', ['received', 'resolved'], 99.8),
];

type GoalMetric = 'completed' | 'partiallyCompleted' | 'timeSaved' | 'costSaved';
const GOAL_TILES: Record<GoalMetric, string> = {
  completed: '#goal-kpi-completed',
  partiallyCompleted: '#goal-kpi-partial',
  timeSaved: '#goal-kpi-time',
  costSaved: '#goal-kpi-cost',
};

type Metric = 'tasksReached' | 'sessions' | 'contacts' | 'handovers';
const KPI_TILES: Record<Metric, string> = {
  tasksReached: '#kpi-tasks',
  sessions: '#kpi-sessions',
  contacts: '#kpi-contacts',
  handovers: '#kpi-handovers',
};

describeE2e('landing page in Chromium', () => {
  let t: TestApp;
  let server: http.Server;
  let origin: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const problems: string[] = [];
  const foreignRequests: string[] = [];

  const post = (events: object[]) =>
    request(t.app).post('/api/v1/events').set('Authorization', `Bearer ${WRITE_KEY}`).set('Content-Type', 'application/json').send(JSON.stringify(events));

  /** What the OData service answers to a URL the page shows (same path and query, the test's key). */
  async function odata(url: string): Promise<{ value: Record<string, unknown>[] }> {
    expect(url.startsWith(`${origin}/odata/`)).toBe(true);
    const res = await request(t.app).get(url.slice(origin.length)).set('X-Api-Key', READ_KEY);
    expect(res.status).toBe(200);
    return res.body as { value: Record<string, unknown>[] };
  }

  async function waitReady(): Promise<void> {
    await page.waitForSelector('#dashboard[data-status="ready"]', { timeout: 10_000 });
    await page.waitForSelector('#goals[data-status="ready"]', { timeout: 10_000 });
  }

  /** Each goal tile equals the single row its own $apply URL returns; returns the shown values. */
  async function checkGoalTiles(): Promise<Record<GoalMetric, number>> {
    const shown = {} as Record<GoalMetric, number>;
    for (const [metric, selector] of Object.entries(GOAL_TILES) as [GoalMetric, string][]) {
      const tile = page.locator(selector);
      const value = Number(await tile.locator('[data-value]').getAttribute('data-raw'));
      const url = (await tile.getAttribute('data-odata-url')) ?? '';
      expect(url).toContain('/odata/GoalCycles?$apply=');
      const body = await odata(url);
      expect(body.value).toHaveLength(1);
      expect(value).toBe(Number(body.value[0]?.[metric] ?? 0));
      shown[metric] = value;
    }
    return shown;
  }

  async function kpi(metric: Metric): Promise<{ shown: number; url: string }> {
    const tile = page.locator(KPI_TILES[metric]);
    const raw = await tile.locator('[data-value]').getAttribute('data-raw');
    const url = (await tile.getAttribute('data-odata-url')) ?? '';
    return { shown: Number(raw), url };
  }

  /** Each KPI tile equals the single row its own $apply URL returns; returns the shown values. */
  async function checkKpis(): Promise<Record<Metric, number>> {
    const shown = {} as Record<Metric, number>;
    for (const metric of Object.keys(KPI_TILES) as Metric[]) {
      const { shown: value, url } = await kpi(metric);
      expect(url).toContain('$apply=');
      const body = await odata(url);
      expect(body.value).toHaveLength(1);
      expect(value).toBe(Number(body.value[0]?.[metric]));
      shown[metric] = value;
    }
    return shown;
  }

  async function chartBars(): Promise<{ task: string; sessions: number }[]> {
    return page.evaluate(() => {
      const canvas = document.getElementById('top-tasks-canvas') as HTMLCanvasElement;
      const chart = (window as unknown as { Chart: { getChart(c: HTMLCanvasElement): { data: { labels: string[]; datasets: { data: number[] }[] } } } }).Chart.getChart(canvas);
      return chart.data.labels.map((label, i) => ({ task: label, sessions: Number(chart.data.datasets[0]?.data[i]) }));
    });
  }

  beforeAll(async () => {
    t = await createTestApp();
    server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskfeed-chromium-'));
    // A fresh profile for every run; Playwright takes it as the persistent context's directory.
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1366, height: 900 },
      locale: 'en-GB',
      timezoneId: 'Europe/Berlin',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('request', (req) => {
      if (!req.url().startsWith(`${origin}/`)) foreignRequests.push(req.url());
    });
  });

  afterAll(async () => {
    await context?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await t?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  it('shows how to send the first event when there is no data, and the curl it shows works', async () => {
    await page.goto(`${origin}/`);
    await expect(page.locator('#feed-url').inputValue()).resolves.toBe(`${origin}/odata/`);
    await expect(page.locator('#compat-url').inputValue()).resolves.toBe(`${origin}/v2.3/`);
    // Keyboard only: the key field, typing, Enter.
    await page.locator('#read-key').focus();
    await page.keyboard.type(READ_KEY);
    await page.keyboard.press('Enter');
    await waitReady();
    await expect(page.locator('#first-event').isVisible()).resolves.toBe(true);
    const curl = (await page.locator('#first-curl').textContent()) ?? '';
    expect(curl).toContain(`'${origin}/api/v1/events'`);
    expect(curl).toContain('Authorization: Bearer YOUR_WRITE_KEY');
    const json = /-d '(.*)'$/m.exec(curl)?.[1];
    expect(json).toBeDefined();
    const event = JSON.parse(json as string) as TaskEvent;
    expect(event.type).toBe('task.completed');
    expect(event.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/);
    expect((await kpi('tasksReached')).shown).toBe(0);
    await expect(page.evaluate(() => sessionStorage.getItem('taskfeed.readKey'))).resolves.toBe(READ_KEY);
    fs.mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'landing-empty.png'), fullPage: true });

    // The event from the page is accepted, and the live table picks it up without a reload.
    const res = await post([event]);
    expect(res.status).toBe(201);
    await page.waitForSelector(`#latest-table tbody tr:has-text("${event.task}")`, { timeout: 8_000 });
    await page.waitForSelector('#first-event', { state: 'hidden', timeout: 5_000 });
  });

  it('shows KPI tiles and top tasks equal to the $apply URLs they display', async () => {
    const res = await post(SEED);
    expect(res.status).toBe(201);
    for (const project of ['shop', 'bank']) {
      const put = await request(t.app).put(`/api/v1/projects/${project}/goals/support`).set('Authorization', `Bearer ${WRITE_KEY}`).send(SUPPORT_GOAL);
      expect(put.status).toBe(201);
    }
    expect((await post(GOAL_SEED)).status).toBe(201);
    // The key stays in sessionStorage: a reload needs no new entry.
    await page.reload();
    await waitReady();
    const shown = await checkKpis();
    // The page's event (shop/sess-1/user-42) plus the seed, last 7 days; pairs are counted per project.
    expect(shown).toEqual({ tasksReached: 7, sessions: 5, contacts: 4, handovers: 2 });

    const topUrl = (await page.locator('#top-tasks').getAttribute('data-odata-url')) ?? '';
    expect(topUrl).toContain('/top(10)');
    const top = (await odata(topUrl)).value.map((r) => ({ task: String(r.task), sessions: Number(r.sessions) }));
    expect(await chartBars()).toEqual(top);
    expect(top).toEqual([
      { task: 'Order Placement', sessions: 4 },
      { task: 'Account Registration', sessions: 1 },
      { task: 'Appointment Booking', sessions: 1 },
      { task: 'Balance Inquiry', sessions: 1 },
    ]);
    // The text alternative carries the same figures.
    const rows = await page.locator('#top-tasks-table tbody tr').allTextContents();
    expect(rows).toEqual(top.map((r) => `${r.task}${r.sessions}`));

    const perDayUrl = (await page.locator('#per-day').getAttribute('data-odata-url')) ?? '';
    const perDay = (await odata(perDayUrl)).value;
    expect(perDay.reduce((sum, r) => sum + Number(r.tasks), 0)).toBe(8);

    await expect(page.locator('#latest-table tbody tr').count()).resolves.toBe(9);
    await expect(page.locator('#project option').allTextContents()).resolves.toEqual(['All projects', 'bank', 'shop']);

    // The Goals panel: tiles, bars per goal, savings per day and the step funnel equal their $apply URLs.
    expect(await checkGoalTiles()).toEqual({ completed: 2, partiallyCompleted: 1, timeSaved: 720, costSaved: 8 });
    await expect(page.locator('#goal-kpi-time [data-value]').textContent()).resolves.toBe('0.2 h');
    const statusUrl = (await page.locator('#goal-status').getAttribute('data-odata-url')) ?? '';
    expect(JSON.parse((await page.locator('#goal-status').getAttribute('data-bars')) ?? '[]')).toEqual([
      { goalId: 'support', ...Object.fromEntries((await odata(statusUrl)).value.map((r) => [String(r.status), Number(r.cycles)])), incomplete: 1 },
    ]);
    const savingsUrl = (await page.locator('#goal-savings').getAttribute('data-odata-url')) ?? '';
    const savings = (await odata(savingsUrl)).value;
    const points = JSON.parse((await page.locator('#goal-savings').getAttribute('data-points')) ?? '[]') as { timeSaved: number; costSaved: number }[];
    expect(points.reduce((sum, p) => sum + p.timeSaved, 0)).toBe(savings.reduce((sum, r) => sum + Number(r.timeSaved), 0));
    expect(points.reduce((sum, p) => sum + p.costSaved, 0)).toBe(8);
    await expect(page.locator('#goal-select').inputValue()).resolves.toBe('support');
    const funnelUrl = (await page.locator('#goal-funnel').getAttribute('data-odata-url')) ?? '';
    const funnel = (await odata(funnelUrl)).value.map((r) => ({ stepId: String(r.stepId), cycles: Number(r.cycles) }));
    expect(JSON.parse((await page.locator('#goal-funnel').getAttribute('data-bars')) ?? '[]')).toEqual(funnel);
    expect(funnel).toEqual([
      { stepId: 'received', cycles: 4 },
      { stepId: 'answered', cycles: 2 },
      { stepId: 'resolved', cycles: 2 },
    ]);

    // Each tile's recipe is one click away, as text to copy.
    await page.locator('#kpi-tasks .recipe-toggle').click();
    // Shown percent-decoded to be read; the tile keeps the exact URL it fetched for the copy button.
    await expect(page.locator('#kpi-tasks .recipe-url').textContent()).resolves.toBe(decodeURIComponent((await kpi('tasksReached')).url));

    // The README's picture: figures with the first tile's recipe open.
    await page.mouse.move(0, 0);
    for (const file of SCREENSHOTS) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      await page.screenshot({ path: file, fullPage: true });
    }
    await page.locator('#kpi-tasks .recipe-toggle').click();
    await expect(page.locator('#kpi-tasks .recipe-url').isVisible()).resolves.toBe(false);
  });

  it('filters by project and period', async () => {
    await page.selectOption('#project', 'shop');
    await page.waitForSelector('#period-label:has-text("project shop")');
    await waitReady();
    expect(await checkKpis()).toEqual({ tasksReached: 5, sessions: 4, contacts: 3, handovers: 1 });
    expect(await checkGoalTiles()).toEqual({ completed: 1, partiallyCompleted: 1, timeSaved: 420, costSaved: 4 });
    await page.selectOption('#period', '30d');
    await waitReady();
    expect(await checkKpis()).toEqual({ tasksReached: 6, sessions: 5, contacts: 4, handovers: 1 });
    await page.selectOption('#project', '');
    await page.selectOption('#period', '7d');
    await waitReady();
  });

  it('shows the OData 401 error for a wrong key', async () => {
    await page.locator('#read-key').fill('not-a-key');
    await page.locator('#key-save').click();
    await page.waitForSelector('#error[data-status="401"]', { timeout: 5_000 });
    await expect(page.locator('#error-title').textContent()).resolves.toBe('The read key was not accepted');
    await expect(page.locator('#error-message').textContent()).resolves.toContain('A valid read key is required');
    await expect(page.locator('#dashboard').getAttribute('data-status')).resolves.toBe('unauthorized');
    await page.screenshot({ path: path.join(OUTPUT, 'landing-wrong-key.png') });
  });

  it('made no request to another host and raised no console error or CSP violation', () => {
    expect(foreignRequests).toEqual([]);
    // The wrong key's 401 responses are logged by Chromium as failed resources; nothing else may be.
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
  });
});
