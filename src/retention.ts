// project settings → deleted expired rows (being written).
import type { Database } from './db';

export async function purgeExpired(_db: Database): Promise<Record<string, number>> {
  return {};
}
