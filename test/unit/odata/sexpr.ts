// Expr / SearchExpr → compact S-expression text, so table-driven tests can state tree shapes in one line.

import { assertNever } from '../../../src/errors';
import type { Expr, PathSegment, SearchExpr } from '../../../src/odata/ast';

function segment(s: PathSegment): string {
  switch (s.kind) {
    case 'member':
      return s.name;
    case 'key':
      return `(${s.values.map((v) => (v.name ? `${v.name}=` : '') + sexpr(v.value)).join(',')})`;
    case 'function':
      return `${s.name}(${s.params.map((p) => `${p.name}=${sexpr(p.value)}`).join(',')})`;
    case 'count':
      return `$count${s.filter ? `[filter ${sexpr(s.filter)}]` : ''}${s.search ? `[search ${searchSexpr(s.search)}]` : ''}`;
    case 'filter':
      return `$filter[${sexpr(s.predicate)}]`;
    case 'lambda':
      return `${s.operator}(${s.variable ? `${s.variable}: ${sexpr(s.predicate as Expr)}` : ''})`;
    case 'annotation':
      return `@${s.term}${s.qualifier ? `#${s.qualifier}` : ''}`;
    case 'aggregate':
      return `aggregate[${s.aggregate.kind}]`;
    default:
      return assertNever(s);
  }
}

export function sexpr(e: Expr): string {
  switch (e.kind) {
    case 'literal':
      switch (e.type) {
        case 'null':
          return 'null';
        case 'Edm.Boolean':
          return String(e.value);
        case 'Edm.Int32':
        case 'Edm.Int64':
        case 'Edm.Decimal':
        case 'Edm.Double':
          return e.text;
        case 'Edm.String':
          return `'${e.value}'`;
        case 'enum':
          return `${e.typeName}'${e.members.join(',')}'`;
        default:
          return `${e.type.slice(4)}:${e.value}`;
      }
    case 'alias':
      return `@${e.name}`;
    case 'path': {
      const root = e.root.kind === 'implicit' ? [] : [e.root.kind === 'alias' ? `@${e.root.name}` : e.root.kind === 'variable' ? e.root.name : `$${e.root.kind}`];
      return [...root, ...e.segments.map(segment)].join('/').replace(/\/\(/g, '(');
    }
    case 'call':
      return `${e.name}(${e.args.map(sexpr).join(', ')})`;
    case 'unary':
      return `(${e.operator === 'not' ? 'not' : '-'} ${sexpr(e.operand)})`;
    case 'binary':
      return `(${e.operator} ${sexpr(e.left)} ${sexpr(e.right)})`;
    case 'list':
      return `[list ${e.items.map(sexpr).join(' ')}]`;
    case 'array':
      return `[${e.items.map(sexpr).join(', ')}]`;
    case 'object':
      return `{${e.members.map((m) => `${m.name}: ${sexpr(m.value)}`).join(', ')}}`;
    case 'cast':
    case 'isof':
      return `${e.kind}(${e.operand ? `${sexpr(e.operand)}, ` : ''}${e.typeName.collection ? `Collection(${e.typeName.name})` : e.typeName.name})`;
    case 'case':
      return `case(${e.branches.map((b) => `${sexpr(b.when)}: ${sexpr(b.then)}`).join(', ')})`;
    default:
      return assertNever(e);
  }
}

export function searchSexpr(e: SearchExpr): string {
  switch (e.kind) {
    case 'searchTerm':
      return e.term;
    case 'searchPhrase':
      return JSON.stringify(e.phrase);
    case 'searchAnd':
      return `(AND ${searchSexpr(e.left)} ${searchSexpr(e.right)})`;
    case 'searchOr':
      return `(OR ${searchSexpr(e.left)} ${searchSexpr(e.right)})`;
    case 'searchNot':
      return `(NOT ${searchSexpr(e.operand)})`;
    default:
      return assertNever(e);
  }
}

/** Runs fn and returns the AppError-like { code, message } it throws. */
export function errorOf(fn: () => unknown): { code: string; status: number; message: string } {
  try {
    fn();
  } catch (e) {
    const err = e as { code: string; status: number; message: string };
    return { code: err.code, status: err.status, message: err.message };
  }
  throw new Error('expected an error');
}
