// process.env → Config: every setting validated once at start; a bad value stops the process with one clear message.
import { z } from 'zod';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().positive().max(max).default(fallback);

const keyList = z
  .string()
  .transform((v) => v.split(',').map((k) => k.trim()).filter((k) => k.length > 0));

/**
 * READ_KEYS entries are `key` (every project) or `key:projectA|projectB` (only those projects).
 * 'reader:p1|p2' → { key: 'reader', projects: ['p1','p2'] }
 */
export interface ReadKey {
  readonly key: string;
  readonly projects: readonly string[] | 'all';
}

function parseReadKeys(entries: readonly string[]): ReadKey[] {
  return entries.map((entry) => {
    const colon = entry.indexOf(':');
    if (colon < 0) return { key: entry, projects: 'all' as const };
    const projects = entry
      .slice(colon + 1)
      .split('|')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    return { key: entry.slice(0, colon), projects: projects.length > 0 ? projects : 'all' };
  });
}

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_READ_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: positiveInt(10, 200),
  DATA_DIR: z.string().min(1).default('./data'),
  WRITE_KEYS: keyList.optional(),
  READ_KEYS: keyList.optional(),
  WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  PUBLIC_URL: z.string().url().optional(),
  TRUST_PROXY: booleanFlag.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MAX_BODY_BYTES: positiveInt(5 * 1024 * 1024),
  MAX_BATCH_EVENTS: positiveInt(5000),
  MAX_URL_LENGTH: positiveInt(32 * 1024).refine((n) => n >= 16 * 1024, 'must be at least 16384'),
  ODATA_PAGE_SIZE: positiveInt(1000),
  ODATA_MAX_PAGE_SIZE: positiveInt(5000),
  ODATA_MAX_NODES: positiveInt(1000),
  ODATA_MAX_EXPAND_DEPTH: positiveInt(3, 10),
  ODATA_MAX_IN_ITEMS: positiveInt(1000),
  STATEMENT_TIMEOUT_MS: positiveInt(60000),
  DATABASE_READ_POOL_SIZE: positiveInt(10, 200),
  ODATA_MAX_STATEMENTS_PER_KEY: positiveInt(4, 200),
  ODATA_QUEUE_TIMEOUT_MS: positiveInt(300000),
  ODATA_STATEMENT_TIMEOUT_MS: positiveInt(30000),
  ODATA_BUFFER_BYTES: positiveInt(8 * 1024 * 1024),
  ODATA_SEND_TIMEOUT_MS: positiveInt(30000),
  ODATA_STATEMENT_CACHE_SIZE: z.coerce.number().int().min(0).max(10000).default(200),
  ODATA_PARALLEL_SETUP_COST: z.coerce.number().min(0).max(1e9).default(5000),
  ODATA_READ_AHEAD_BYTES: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(64 * 1024 * 1024),
  ODATA_READ_AHEAD_TTL_MS: positiveInt(10000),
  DATABASE_CONNECT_TIMEOUT_MS: positiveInt(5000),
  HEALTH_TIMEOUT_MS: positiveInt(2000),
  MODEL_DIR: z.string().min(1).optional(),
  PURGE_INTERVAL_MINUTES: z.coerce.number().int().positive().optional(),
  SHUTDOWN_TIMEOUT_MS: positiveInt(10000),
  HEADERS_TIMEOUT_MS: positiveInt(20000),
  REQUEST_TIMEOUT_MS: positiveInt(120000),
  BODY_TIMEOUT_MS: positiveInt(30000),
  KEEP_ALIVE_TIMEOUT_MS: positiveInt(5000),
  MAX_CONNECTIONS: positiveInt(1000),
  METRICS_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  INGEST_GROUP_COMMIT: booleanFlag.default(true),
  INGEST_GROUP_WINDOW_MS: positiveInt(5, 1000),
  INGEST_GROUP_MAX_EVENTS: positiveInt(5000),
  GOAL_MAX_STEPS: positiveInt(10, 100).refine((n) => n >= 2, 'must be at least 2 (a start and a completion step)'),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl?: string;
  readonly databaseReadUrl?: string;
  readonly poolSize: number;
  readonly dataDir: string;
  readonly writeKeys: readonly string[];
  readonly readKeys: readonly ReadKey[];
  /** True when no keys were configured and the documented development keys are in force. */
  readonly usingDevelopmentKeys: boolean;
  readonly webhookSecret?: string;
  readonly publicUrl?: string;
  readonly trustProxy: boolean;
  readonly logLevel: string;
  readonly maxBodyBytes: number;
  readonly maxBatchEvents: number;
  readonly maxUrlLength: number;
  readonly odata: {
    readonly pageSize: number;
    readonly maxPageSize: number;
    readonly maxNodes: number;
    readonly maxExpandDepth: number;
    readonly maxInItems: number;
  };
  /** statement_timeout of the ingestion pool. */
  readonly statementTimeoutMs: number;
  /** Opening a connection, or waiting for one from a full ingestion pool. */
  readonly connectTimeoutMs: number;
  /** Connect and statement timeout of the health check's own connection. */
  readonly healthTimeoutMs: number;
  /** The OData read pool: its size is the cap on concurrent statements, shared fairly between read keys. */
  readonly reads: {
    readonly poolSize: number;
    readonly maxStatementsPerKey: number;
    readonly queueTimeoutMs: number;
    readonly statementTimeoutMs: number;
    readonly bufferBytes: number;
    readonly consumerTimeoutMs: number;
    /** Prepared statements kept per read connection (0: none). */
    readonly statementCacheSize: number;
    /** parallel_setup_cost of the read pool's sessions (planned per run: plan_cache_mode=force_custom_plan). */
    readonly parallelSetupCost: number;
    /** Feed pages computed ahead of the client's next request: bytes held at most (0: off), and how long one is kept. */
    readonly readAheadBytes: number;
    readonly readAheadTtlMs: number;
  };
  readonly modelDir?: string;
  readonly purgeIntervalMinutes?: number;
  readonly shutdownTimeoutMs: number;
  readonly sockets: {
    /** Whole request line and headers must arrive within this time (408, then closed). */
    readonly headersTimeoutMs: number;
    /** Whole request, body included, must arrive within this time (408, then closed). */
    readonly requestTimeoutMs: number;
    /** Longest silence while a body is being received (408, then closed). */
    readonly bodyTimeoutMs: number;
    /** How long an idle keep-alive connection stays open between requests. */
    readonly keepAliveTimeoutMs: number;
    /** Connections over this number are closed as they arrive. */
    readonly maxConnections: number;
  };
  /** When set, GET /metrics answers to this key; unset, /metrics does not exist. */
  readonly metricsKey?: string;
  /** Group commit: concurrent ingestion requests share one transaction (see src/ingest/group-commit.ts). */
  readonly ingestGroupCommit: {
    readonly enabled: boolean;
    readonly windowMs: number;
    readonly maxEvents: number;
  };
  /** Most steps a goal may have (Cognigy: 10 by default, 20 at most with its feature flag). */
  readonly goalMaxSteps: number;
}

export const DEVELOPMENT_WRITE_KEY = 'dev-write-key';
export const DEVELOPMENT_READ_KEY = 'dev-read-key';

export class ConfigError extends Error {}

/**
 * loadConfig({ PORT: '8080' }) → Config with port 8080 and every other default;
 * loadConfig({ PORT: 'x' }) → throws ConfigError('PORT: Invalid input: expected number, received NaN').
 */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const embedded = e.DATABASE_URL === undefined;
  const keysMissing = (e.WRITE_KEYS?.length ?? 0) === 0 || (e.READ_KEYS?.length ?? 0) === 0;
  if (!embedded && keysMissing) {
    throw new ConfigError('Invalid configuration: WRITE_KEYS and READ_KEYS are required when DATABASE_URL is set');
  }
  if (e.ODATA_PAGE_SIZE > e.ODATA_MAX_PAGE_SIZE) {
    throw new ConfigError('Invalid configuration: ODATA_PAGE_SIZE must not exceed ODATA_MAX_PAGE_SIZE');
  }
  if (e.ODATA_MAX_STATEMENTS_PER_KEY > e.DATABASE_READ_POOL_SIZE) {
    throw new ConfigError('Invalid configuration: ODATA_MAX_STATEMENTS_PER_KEY must not exceed DATABASE_READ_POOL_SIZE');
  }
  if (e.DATABASE_READ_URL !== undefined && embedded) {
    throw new ConfigError('Invalid configuration: DATABASE_READ_URL needs DATABASE_URL');
  }
  if (e.HEADERS_TIMEOUT_MS > e.REQUEST_TIMEOUT_MS) {
    throw new ConfigError('Invalid configuration: HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS');
  }
  const writeKeys = e.WRITE_KEYS?.length ? e.WRITE_KEYS : [DEVELOPMENT_WRITE_KEY];
  const readKeys = e.READ_KEYS?.length ? parseReadKeys(e.READ_KEYS) : parseReadKeys([DEVELOPMENT_READ_KEY]);
  const overlap = writeKeys.filter((k) => readKeys.some((r) => r.key === k));
  if (e.METRICS_KEY !== undefined && (writeKeys.includes(e.METRICS_KEY) || readKeys.some((r) => r.key === e.METRICS_KEY))) {
    overlap.push(e.METRICS_KEY);
  }
  if (overlap.length > 0) {
    throw new ConfigError('Invalid configuration: a key may serve only one purpose (write, read or metrics)');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseReadUrl: e.DATABASE_READ_URL,
    poolSize: e.DATABASE_POOL_SIZE,
    dataDir: e.DATA_DIR,
    writeKeys,
    readKeys,
    usingDevelopmentKeys: keysMissing,
    webhookSecret: e.WEBHOOK_SECRET,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxBatchEvents: e.MAX_BATCH_EVENTS,
    maxUrlLength: e.MAX_URL_LENGTH,
    odata: {
      pageSize: e.ODATA_PAGE_SIZE,
      maxPageSize: e.ODATA_MAX_PAGE_SIZE,
      maxNodes: e.ODATA_MAX_NODES,
      maxExpandDepth: e.ODATA_MAX_EXPAND_DEPTH,
      maxInItems: e.ODATA_MAX_IN_ITEMS,
    },
    statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
    connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    healthTimeoutMs: e.HEALTH_TIMEOUT_MS,
    reads: {
      poolSize: e.DATABASE_READ_POOL_SIZE,
      maxStatementsPerKey: e.ODATA_MAX_STATEMENTS_PER_KEY,
      queueTimeoutMs: e.ODATA_QUEUE_TIMEOUT_MS,
      statementTimeoutMs: e.ODATA_STATEMENT_TIMEOUT_MS,
      bufferBytes: e.ODATA_BUFFER_BYTES,
      consumerTimeoutMs: e.ODATA_SEND_TIMEOUT_MS,
      statementCacheSize: e.ODATA_STATEMENT_CACHE_SIZE,
      parallelSetupCost: e.ODATA_PARALLEL_SETUP_COST,
      readAheadBytes: e.ODATA_READ_AHEAD_BYTES,
      readAheadTtlMs: e.ODATA_READ_AHEAD_TTL_MS,
    },
    modelDir: e.MODEL_DIR,
    purgeIntervalMinutes: e.PURGE_INTERVAL_MINUTES,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    sockets: {
      headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      bodyTimeoutMs: e.BODY_TIMEOUT_MS,
      keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.MAX_CONNECTIONS,
    },
    metricsKey: e.METRICS_KEY,
    ingestGroupCommit: { enabled: e.INGEST_GROUP_COMMIT, windowMs: e.INGEST_GROUP_WINDOW_MS, maxEvents: e.INGEST_GROUP_MAX_EVENTS },
    goalMaxSteps: e.GOAL_MAX_STEPS,
  };
}
