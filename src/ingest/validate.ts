// parsed body items → IngestEvent[]: every item checked against the contract; one error lists every problem of every event.
import type { z } from 'zod';
import { ingestInvalid, type ErrorDetail } from '../errors';
import { EVENT_SCHEMAS, EVENT_TYPES, IngestEventSchema, type IngestEvent } from './events';

/** One problem of one event: `index` is the event's position in the batch (0-based). */
export interface EventIssue extends ErrorDetail {
  readonly index: number;
  readonly id: string | null;
}

export const MAX_JSON_DEPTH = 32;

type PathSegment = string | number;

function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out.length === 0 ? segment : `.${segment}`;
  }
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// Strings PostgreSQL cannot store (NUL) or that are not Unicode (lone surrogates) would fail deep in the database.
function badString(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must be valid Unicode (lone surrogate found)';
  return undefined;
}

/** Depth and text checks that zod cannot make safely on untrusted nesting; iterative, so deep input cannot overflow the stack. */
export function checkJsonSafety(item: unknown): { target: string; message: string }[] {
  const problems: { target: string; message: string }[] = [];
  const stack: { value: unknown; path: PathSegment[] }[] = [{ value: item, path: [] }];
  while (stack.length > 0 && problems.length < 20) {
    const { value, path } = stack.pop() as { value: unknown; path: PathSegment[] };
    if (typeof value === 'string') {
      const problem = badString(value);
      if (problem !== undefined) problems.push({ target: formatPath(path), message: problem });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length >= MAX_JSON_DEPTH) {
      problems.push({ target: formatPath(path), message: `is nested deeper than ${MAX_JSON_DEPTH} levels` });
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push({ value: v, path: [...path, i] }));
      continue;
    }
    for (const [key, v] of Object.entries(value)) {
      const problem = badString(key);
      if (problem !== undefined) problems.push({ target: formatPath(path), message: `has a field name that ${problem}` });
      // Parsing into an object would set its prototype instead of a field, so the value would vanish: refused by name.
      else if (key === '__proto__') problems.push({ target: formatPath([...path, key]), message: 'is a reserved name and cannot be a field' });
      else stack.push({ value: v, path: [...path, key] });
    }
  }
  return problems.reverse();
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

function allowedKeys(item: unknown, path: readonly PropertyKey[]): readonly string[] {
  const type = (item as { type?: unknown }).type;
  const schema = EVENT_SCHEMAS.find((s) => s.shape.type.value === type);
  if (schema === undefined) return [];
  if (path.length === 0) return Object.keys(schema.shape);
  if (path[0] === 'attachments') return ['url', 'name', 'type'];
  if (path[0] === 'privacy_policy') return ['accepted', 'acceptedAt'];
  return [];
}

// Field names are short; a "did you mean" for a longer key would cost length × length per candidate.
const MAX_SUGGESTED_KEY_LENGTH = 64;

function unknownFieldMessage(key: string, allowed: readonly string[]): string {
  if (key.length > MAX_SUGGESTED_KEY_LENGTH) return 'unknown field';
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3))
    ? `unknown field; did you mean '${best}'?`
    : 'unknown field';
}

function issuesOf(error: z.ZodError, item: unknown): { target: string; message: string }[] {
  const out: { target: string; message: string }[] = [];
  for (const issue of error.issues) {
    const path = issue.path as PathSegment[];
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          out.push({ target: formatPath([...path, key]), message: unknownFieldMessage(key, allowedKeys(item, path)) });
        }
        break;
      case 'invalid_union':
        if (path.length === 1 && path[0] === 'type') {
          const given = (item as { type?: unknown }).type;
          out.push({
            target: 'type',
            message: given === undefined ? `is required; one of ${EVENT_TYPES.join(', ')}` : `must be one of ${EVENT_TYPES.join(', ')}`,
          });
        } else {
          // A union with its own message (e.g. rating: 'must be -1 or 1') keeps it; the generic one says little.
          out.push({ target: formatPath(path), message: issue.message === 'Invalid input' ? 'has an invalid value' : issue.message });
        }
        break;
      case 'invalid_key':
        out.push({ target: formatPath(path), message: issue.issues[0]?.message ?? 'invalid field name' });
        break;
      case 'invalid_type':
        out.push({
          target: formatPath(path),
          message: valueAt(item, path) === undefined ? 'is required' : `must be ${issue.expected === 'int' ? 'an integer' : `of type ${issue.expected}`}`,
        });
        break;
      case 'invalid_value':
        out.push({ target: formatPath(path), message: valueAt(item, path) === undefined ? 'is required' : issue.message });
        break;
      default:
        out.push({ target: formatPath(path), message: issue.message });
    }
  }
  return out;
}

/**
 * Validates one item of a batch.
 * validateEvent({ id: 'e1', type: 'task.completed', … , tsk: 'x' }, 0) → { issues: [{ index: 0, id: 'e1', target: 'tsk', message: "unknown field; did you mean 'task'?" }] }
 */
export function validateEvent(item: unknown, index: number): { event: IngestEvent } | { issues: EventIssue[] } {
  const rawId = item !== null && typeof item === 'object' ? (item as { id?: unknown }).id : undefined;
  const id = typeof rawId === 'string' ? rawId : null;
  const issue = (target: string, message: string): EventIssue => ({ code: 'INGEST_INVALID', index, id, target, message });
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    return { issues: [issue('', 'each event must be a JSON object')] };
  }
  const unsafe = checkJsonSafety(item);
  if (unsafe.length > 0) return { issues: unsafe.map((p) => issue(p.target, p.message)) };
  const parsed = IngestEventSchema.safeParse(item);
  if (parsed.success) return { event: parsed.data };
  return { issues: issuesOf(parsed.error, item).map((p) => issue(p.target, p.message)) };
}

/** JSON text with object keys sorted, so that two deliveries of one event compare equal whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The same id twice in one batch: an identical copy is a redelivery (a duplicate); a different one is a producer bug that
 * would otherwise be dropped without a word, so it is an issue naming both positions.
 */
function conflictingRepeats(items: readonly unknown[], events: readonly { index: number; event: IngestEvent }[]): EventIssue[] {
  const first = new Map<string, number>();
  const issues: EventIssue[] = [];
  for (const { index, event } of events) {
    const earlier = first.get(event.id);
    if (earlier === undefined) first.set(event.id, index);
    else if (canonicalJson(items[earlier]) !== canonicalJson(items[index])) {
      issues.push({
        code: 'INGEST_INVALID',
        index,
        id: event.id,
        target: 'id',
        message: `repeats the id of event ${earlier} with different content (events ${earlier} and ${index}); an id names one event`,
      });
    }
  }
  return issues;
}

/** All items valid → the typed events; otherwise throws INGEST_INVALID (400) whose details list every problem. */
export function validateEvents(items: readonly unknown[]): IngestEvent[] {
  const valid: { index: number; event: IngestEvent }[] = [];
  const issues: EventIssue[] = [];
  items.forEach((item, index) => {
    const result = validateEvent(item, index);
    if ('event' in result) valid.push({ index, event: result.event });
    else issues.push(...result.issues);
  });
  issues.push(...conflictingRepeats(items, valid));
  issues.sort((a, b) => a.index - b.index);
  const events = valid.map((v) => v.event);
  if (issues.length > 0) {
    const invalid = new Set(issues.map((i) => i.index)).size;
    throw ingestInvalid(`${invalid} of ${items.length} event${items.length === 1 ? '' : 's'} invalid; nothing was stored`, {
      details: issues,
    });
  }
  return events;
}
