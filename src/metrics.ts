// process, pools and responses → Prometheus metrics (prom-client), one registry per app; labels come from fixed sets only.
import client from 'prom-client';
import type { Database } from './db';
import type { ReadAheadOutcome } from './read-ahead';

/** Where a request went, as a label: a handful of fixed values, never the URL itself. */
export type RouteFamily = 'odata' | 'ingest' | 'settings' | 'health' | 'metrics' | 'landing' | 'other';

/** '/odata/Analytics?$top=5' → 'odata'; '/api/v1/events' → 'ingest'; '/nope' → 'other'. */
export function routeFamily(url: string): RouteFamily {
  const path = url.split('?', 1)[0] ?? '';
  if (/^\/(odata|v2\.3)(\/|$)/.test(path)) return 'odata';
  if (path === '/api/v1/events') return 'ingest';
  if (path.startsWith('/api/v1/projects/')) return 'settings';
  if (path === '/healthz' || path === '/readyz') return 'health';
  if (path === '/metrics') return 'metrics';
  if (path === '/' || path.startsWith('/assets/')) return 'landing';
  return 'other';
}

export interface IngestCounts {
  readonly accepted: number;
  readonly duplicates: number;
  readonly dropped: number;
}

export interface Metrics {
  readonly registry: client.Registry;
  /** A response that was sent completely; `errorCode` is the error catalogue code when it was an error. */
  observeResponse(family: RouteFamily, status: number, seconds: number, errorCode: string | undefined): void;
  /** A client that closed its connection before its response was complete. */
  observeClientGone(family: RouteFamily): void;
  /** A streamed response the server cut because of an error after its headers were sent. */
  observeCutResponse(family: RouteFamily, errorCode: string): void;
  observeIngested(counts: IngestCounts): void;
  /** What became of a feed page computed ahead of the client's next request. */
  observeReadAhead(outcome: ReadAheadOutcome): void;
}

export interface MetricsSources {
  /** Pools by name ('write', 'read'); each reports its connections at scrape time. */
  readonly pools: ReadonlyMap<string, Database>;
  /** The read replica, when one is configured: its replay lag is measured at scrape time. */
  readonly replica?: Database;
  /** Feed pages held for clients' next requests, read at scrape time. */
  readonly readAhead?: () => { readonly pages: number; readonly bytes: number };
}

/** Longest a scrape waits for the replica to report its lag. */
const REPLICA_PROBE_MS = 1000;

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

interface ReplicaLag {
  readonly seconds: number;
  readonly bytes: number;
}

/** Seconds since the last replayed transaction (0 when everything received is replayed) and bytes received but not replayed. */
async function measureReplicaLag(replica: Database): Promise<ReplicaLag> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('replica lag probe timed out')), REPLICA_PROBE_MS);
  });
  try {
    const probe = replica.query<{ seconds: number | null; bytes: string | null }>(
      `SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                   ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS seconds,
              pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::float8 AS bytes`,
    );
    const row = (await Promise.race([probe, timeout])).rows[0];
    return { seconds: Number(row?.seconds ?? NaN), bytes: Number(row?.bytes ?? NaN) };
  } catch {
    // An unreachable or non-standby read database reports no lag rather than failing the scrape.
    return { seconds: NaN, bytes: NaN };
  } finally {
    clearTimeout(timer);
  }
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  const requests = new client.Counter({
    name: 'taskfeed_http_requests_total',
    help: "Responses sent, by route family and status ('cut' for a streamed response ended by an error)",
    labelNames: ['family', 'status'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'taskfeed_http_request_duration_seconds',
    help: 'Time from request to the end of the response, by route family and status',
    labelNames: ['family', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const unavailable = new client.Counter({
    name: 'taskfeed_http_unavailable_total',
    help: '503 responses, by route family and error code (DB_UNAVAILABLE, DB_TIMEOUT, … or none)',
    labelNames: ['family', 'code'] as const,
    registers: [registry],
  });
  const statementTimeouts = new client.Counter({
    name: 'taskfeed_statement_timeouts_total',
    help: 'Requests that failed because a statement exceeded its timeout',
    labelNames: ['family'] as const,
    registers: [registry],
  });
  const clientsGone = new client.Counter({
    name: 'taskfeed_http_client_cancellations_total',
    help: 'Requests whose client closed the connection before the response was complete',
    labelNames: ['family'] as const,
    registers: [registry],
  });
  const ingested = new client.Counter({
    name: 'taskfeed_ingested_events_total',
    help: 'Events received by the ingestion API, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of ['accepted', 'duplicate', 'dropped']) ingested.inc({ outcome }, 0);
  const readAheadPages = new client.Counter({
    name: 'taskfeed_odata_read_ahead_pages_total',
    help: 'Feed pages computed ahead of the next request, by outcome (hit = a request was answered from one)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const readAheadHeld = sources.readAhead;
  if (readAheadHeld !== undefined) {
    new client.Gauge({
      name: 'taskfeed_odata_read_ahead_bytes',
      help: 'Approximate bytes of feed pages held for clients that have not asked for them yet',
      registers: [registry],
      collect() {
        this.set(readAheadHeld().bytes);
      },
    });
  }

  new client.Gauge({
    name: 'taskfeed_db_pool_connections',
    help: 'Database pool connections by pool and state (in_use, idle, waiting = requests waiting for a connection)',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    collect() {
      for (const [pool, db] of sources.pools) {
        const stats = db.stats();
        this.set({ pool, state: 'in_use' }, stats.inUse);
        this.set({ pool, state: 'idle' }, stats.idle);
        this.set({ pool, state: 'waiting' }, stats.waiting);
      }
    },
  });

  new client.Gauge({
    name: 'taskfeed_odata_statement_slots',
    help: 'OData statement slots of the fair read queue by state (in_use, free, queued = requests waiting for a slot)',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    collect() {
      for (const [pool, db] of sources.pools) {
        const slots = db.queueStats();
        this.set({ pool, state: 'in_use' }, slots.inUse);
        this.set({ pool, state: 'free' }, slots.idle);
        this.set({ pool, state: 'queued' }, slots.waiting);
      }
    },
  });

  const replica = sources.replica;
  if (replica !== undefined) {
    // Both gauges are collected in the same scrape: they share one probe.
    let probe: Promise<ReplicaLag> | undefined;
    const currentLag = (): Promise<ReplicaLag> => {
      if (probe === undefined) {
        probe = measureReplicaLag(replica);
        void probe.finally(() => (probe = undefined));
      }
      return probe;
    };
    new client.Gauge({
      name: 'taskfeed_replica_lag_seconds',
      help: 'Age of the last transaction the read replica replayed, 0 when it has replayed all it received (NaN when it cannot be measured)',
      registers: [registry],
      async collect() {
        this.set((await currentLag()).seconds);
      },
    });
    new client.Gauge({
      name: 'taskfeed_replica_replay_backlog_bytes',
      help: 'WAL the read replica has received but not yet replayed (NaN when it cannot be measured)',
      registers: [registry],
      async collect() {
        this.set((await currentLag()).bytes);
      },
    });
  }

  return {
    registry,
    observeResponse(family, status, seconds, errorCode) {
      const labels = { family, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
      if (status === 503) unavailable.inc({ family, code: errorCode ?? 'none' });
      if (errorCode === 'DB_TIMEOUT') statementTimeouts.inc({ family });
    },
    observeClientGone(family) {
      clientsGone.inc({ family });
    },
    observeCutResponse(family, errorCode) {
      requests.inc({ family, status: 'cut' });
      if (errorCode === 'DB_TIMEOUT') statementTimeouts.inc({ family });
    },
    observeIngested(counts) {
      ingested.inc({ outcome: 'accepted' }, counts.accepted);
      ingested.inc({ outcome: 'duplicate' }, counts.duplicates);
      ingested.inc({ outcome: 'dropped' }, counts.dropped);
    },
    observeReadAhead(outcome) {
      readAheadPages.inc({ outcome });
    },
  };
}
