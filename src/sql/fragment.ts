// SQL pieces → CompiledQuery { text, values }: values always become $n parameters; identifiers come only from the model.
import { createHash } from 'node:crypto';

export interface CompiledQuery {
  readonly text: string;
  readonly values: readonly unknown[];
  /** Set for statements run again and again with the same text: PostgreSQL then parses and plans them once per connection. */
  readonly name?: string;
}

type Part = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'value'; readonly value: unknown };

/** An SQL fragment: text with holes for bound values; numbered once when rendered. */
export interface Sql {
  readonly parts: readonly Part[];
}

export function isSql(value: unknown): value is Sql {
  return typeof value === 'object' && value !== null && Array.isArray((value as Sql).parts);
}

/**
 * sql`a = ${1} AND ${qualified('b')} = ${'x'}` renders to { text: 'a = $1 AND "b" = $2', values: [1, 'x'] }.
 * Interpolated Sql fragments are spliced in; every other interpolated value becomes a parameter.
 */
export function sql(strings: TemplateStringsArray, ...args: readonly unknown[]): Sql {
  const parts: Part[] = [];
  strings.forEach((s, i) => {
    if (s.length > 0) parts.push({ kind: 'text', text: s });
    if (i < args.length) {
      const arg = args[i];
      if (isSql(arg)) parts.push(...arg.parts);
      else parts.push({ kind: 'value', value: arg });
    }
  });
  return { parts };
}

/** Raw SQL text, for keywords and operators chosen by the compiler (never for request text). */
export function raw(text: string): Sql {
  return { parts: [{ kind: 'text', text }] };
}

export function param(value: unknown): Sql {
  return { parts: [{ kind: 'value', value }] };
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quoted identifiers taken from the entity model: qualified('analytics', 'occurred_at') → "analytics"."occurred_at" */
export function qualified(...names: readonly string[]): Sql {
  return raw(names.map(quoteIdent).join('.'));
}

export function join(fragments: readonly Sql[], separator = ', '): Sql {
  const parts: Part[] = [];
  fragments.forEach((f, i) => {
    if (i > 0 && separator.length > 0) parts.push({ kind: 'text', text: separator });
    parts.push(...f.parts);
  });
  return { parts };
}

export const empty: Sql = { parts: [] };

/** Escapes LIKE wildcards so that a user's '%' or '_' match themselves (used with ESCAPE '\'). */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The same query as a named prepared statement; its name derives from the text, so equal texts share one. */
export function prepared(query: CompiledQuery): CompiledQuery {
  return Object.freeze({ ...query, name: `p_${createHash('sha1').update(query.text).digest('hex').slice(0, 20)}` });
}

/** Numbers the parameters in order of appearance. */
export function render(fragment: Sql): CompiledQuery {
  const values: unknown[] = [];
  let text = '';
  for (const part of fragment.parts) {
    if (part.kind === 'text') text += part.text;
    else {
      values.push(part.value);
      text += `$${values.length}`;
    }
  }
  return Object.freeze({ text, values: Object.freeze(values) });
}
