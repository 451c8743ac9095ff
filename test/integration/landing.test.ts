// GET / and /assets/*: the landing page, its own files and the charting library, all from this server.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { CHART_LIBRARY_PATH, LANDING_CSP } from '../../src/http/landing-routes';
import { createTestApp, type TestApp } from '../helpers/test-app';

const PUBLIC_DIR = path.join(__dirname, '..', '..', 'public');

/** http(s) URLs that name no resource to load: XML namespaces and the documented example hosts. */
const NOT_A_REQUEST = [/^http:\/\/www\.w3\.org\/2000\/svg$/, /^https?:\/\/(?:[\w-]+\.)*example\.(?:com|org|net)(?:[/:]|$)/];

function externalUrls(text: string): string[] {
  const found = text.match(/https?:\/\/[^\s"'`<>)]+/g) ?? [];
  return found.filter((url) => !NOT_A_REQUEST.some((allowed) => allowed.test(url)));
}

/** Text outside block comments (the library's licence banner names its home page). */
function withoutBlockComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '');
}

/** The body as text, whatever its type (supertest leaves image/svg+xml as a Buffer). */
function bodyText(res: request.Response): string {
  return Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.text;
}

describe('landing page', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('GET / is the HTML page with a strict Content-Security-Policy', async () => {
    const res = await request(t.app).get('/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toBe(LANDING_CSP);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers.etag).toBeDefined();
    expect(res.text).toContain('<title>taskfeed');
    expect(res.text).toContain('src="/assets/app.js"');
    expect(res.text).toContain(`src="${CHART_LIBRARY_PATH}"`);
    expect(res.text).toContain('href="/assets/styles.css"');
  });

  it('GET / answers 304 to a matching If-None-Match', async () => {
    const first = await request(t.app).get('/');
    const again = await request(t.app).get('/').set('If-None-Match', first.headers.etag as string);
    expect(again.status).toBe(304);
  });

  it('has no inline script, inline style or event handler attribute', async () => {
    const res = await request(t.app).get('/');
    const scripts = res.text.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      expect(script).toMatch(/<script src="\/assets\/[^"]+"[^>]*><\/script>/);
    }
    expect(res.text).not.toMatch(/<style\b/);
    expect(res.text).not.toMatch(/\sstyle=/);
    expect(res.text).not.toMatch(/\son[a-z]+=/);
  });

  it('names the development keys only while they are in force', async () => {
    const res = await request(t.app).get('/');
    expect(res.text).toContain('<body data-dev-keys="false">');
    const dev = await createTestApp({ env: { WRITE_KEYS: '', READ_KEYS: '' } });
    try {
      const devPage = await request(dev.app).get('/');
      expect(devPage.text).toContain('<body data-dev-keys="true">');
    } finally {
      await dev.close();
    }
  });

  it.each([
    ['/assets/app.js', /^text\/javascript|^application\/javascript/],
    ['/assets/goals.js', /^text\/javascript|^application\/javascript/],
    ['/assets/styles.css', /^text\/css/],
    ['/assets/favicon.svg', /^image\/svg\+xml/],
  ])('serves %s', async (url, type) => {
    const res = await request(t.app).get(url);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(type);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers.etag).toBeDefined();
    const file = fs.readFileSync(path.join(PUBLIC_DIR, url.replace('/assets/', '')), 'utf8');
    expect(bodyText(res)).toBe(file);
  });

  it('serves the charting library from the installed package', async () => {
    const res = await request(t.app).get(CHART_LIBRARY_PATH);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    expect(res.text).toContain('Chart.js v4');
    const installed = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
    expect(res.text.length).toBe(fs.readFileSync(installed, 'utf8').length);
  });

  it.each(['/assets/', '/assets', '/assets/vendor/', '/assets/index.html', '/assets/../package.json', '/assets/%2e%2e/package.json', '/assets/.hidden.js', '/public/app.js'])(
    '%s is not served (no listing, nothing outside the assets)',
    async (url) => {
      const res = await request(t.app).get(url);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    },
  );

  it('loads nothing from another host: page, script and styles name no external URL', async () => {
    const page = await request(t.app).get('/');
    const urls: string[] = [...externalUrls(page.text)];
    for (const asset of ['/assets/app.js', '/assets/goals.js', '/assets/styles.css', '/assets/favicon.svg']) {
      urls.push(...externalUrls(bodyText(await request(t.app).get(asset))));
    }
    const library = await request(t.app).get(CHART_LIBRARY_PATH);
    urls.push(...externalUrls(withoutBlockComments(library.text)));
    expect(urls).toEqual([]);
    // Every src and href on the page is a path on this server.
    const refs = [...page.text.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBeGreaterThan(3);
    for (const ref of refs) expect(ref).toMatch(/^(?:\/(?!\/)|#)/);
    // No web fonts: the system font stack only.
    const css = (await request(t.app).get('/assets/styles.css')).text;
    expect(css).not.toMatch(/@import|@font-face|url\(/);
  });

  it('leaves the OData service and the API as they were', async () => {
    const res = await request(t.app).get('/odata/');
    expect(res.status).toBe(401);
    expect(res.headers['content-security-policy']).toBeUndefined();
    const missing = await request(t.app).get('/nothing-here');
    expect(missing.status).toBe(404);
  });
});
