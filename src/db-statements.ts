// CompiledQuery × connection → the same query as a named prepared statement, at most `capacity` of them per connection.
import crypto from 'node:crypto';
import type pg from 'pg';
import type { CompiledQuery } from './sql/fragment';

/** What pg keeps per connection about the statements it has prepared (it skips Parse for a name it has seen). */
interface ParsedStatements {
  readonly connection?: { parsedStatements?: Record<string, string>; submittedNamedStatements?: Record<string, string> };
}

/** "cached plan must not change result type": a statement prepared before a migration changed a column it returns. */
export const STALE_STATEMENT_CODE = '0A000';

const UNKNOWN_STATEMENT_CODE = '26000';

export interface StatementCache {
  /** The query under its statement name, after making room for it on this connection (DEALLOCATE of the least recently used). */
  name(client: pg.ClientBase, query: CompiledQuery): Promise<CompiledQuery>;
  /** Drops a statement whose plan went stale, so that the next run prepares it afresh. */
  forget(client: pg.ClientBase, name: string): Promise<void>;
}

/**
 * The compiler emits the same text for the same request shape, with values as $n: preparing by text lets PostgreSQL
 * plan a shape once per connection and, after five runs, settle on a generic plan instead of planning every request.
 */
export function createStatementCache(capacity: number): StatementCache {
  const byClient = new WeakMap<pg.ClientBase, Map<string, string>>();

  const drop = async (client: pg.ClientBase, names: Map<string, string>, name: string) => {
    names.delete(name);
    const internal = (client as unknown as ParsedStatements).connection;
    if (internal?.parsedStatements !== undefined) delete internal.parsedStatements[name];
    if (internal?.submittedNamedStatements !== undefined) delete internal.submittedNamedStatements[name];
    try {
      // Names are hex digests behind a fixed prefix, so they are safe as identifiers.
      await client.query(`DEALLOCATE ${name}`);
    } catch (err) {
      // A statement whose Parse failed was never prepared: there is nothing to drop.
      if ((err as { code?: unknown }).code !== UNKNOWN_STATEMENT_CODE) throw err;
    }
  };

  return {
    async name(client, query) {
      const name = `tf_${crypto.createHash('sha1').update(query.text).digest('hex').slice(0, 24)}`;
      let names = byClient.get(client);
      if (names === undefined) {
        names = new Map();
        byClient.set(client, names);
      }
      if (names.has(name)) {
        // Map order is recency order: move the name to the end.
        names.delete(name);
      } else {
        while (names.size >= capacity) {
          const oldest = names.keys().next().value as string;
          await drop(client, names, oldest);
        }
      }
      names.set(name, query.text);
      return { ...query, name };
    },
    async forget(client, name) {
      const names = byClient.get(client);
      if (names?.has(name) === true) await drop(client, names, name);
    },
  };
}
