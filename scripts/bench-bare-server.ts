// The benchmarks' floor: express with a pg Pool answering fixed statements as JSON, nothing else (no auth,
// parsing or streaming). Run as a child process by scripts/bench-harness.ts, with BARE_ROUTES as JSON.
import express from 'express';
import pg from 'pg';
import type { BareRoute } from './bench-harness';

const routes = JSON.parse(process.env.BARE_ROUTES ?? '[]') as BareRoute[];
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.BARE_POOL_SIZE ?? 10), options: '-c TimeZone=UTC' });
// Exact values as PostgreSQL prints them, as taskfeed writes them (Int64, Decimal and timestamps as text).
for (const oid of [20, 1700, 1082, 1114, 1184]) pg.types.setTypeParser(oid, (v: string) => v);
const STATIC_1KB = { '@odata.context': 'http://127.0.0.1/$metadata#Static/$entity', text: 'x'.repeat(1000) };

const app = express();
app.disable('x-powered-by');
app.get('/ready', (_req, res) => {
  res.json({ ready: true });
});
for (const route of routes) {
  app.get(route.path, async (_req, res) => {
    if (route.shape === 'static') {
      res.json(STATIC_1KB);
      return;
    }
    const r = await pool.query(route.sql ?? '', (route.params ?? []) as unknown[]);
    if (route.shape === 'entity') res.json({ '@odata.context': route.context, ...r.rows[0] });
    else res.json({ '@odata.context': route.context, value: r.rows });
  });
}
app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1');
