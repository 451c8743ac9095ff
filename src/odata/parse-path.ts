// resource path after the service root (still percent-encoded) → ResourcePath: entity set, key predicate, navigation / property / type-cast segments, $count, $value, $ref.

import { odataNotImplemented, odataSyntax } from '../errors';
import type { AliasExpr, KeyValue, LiteralExpr, ResourcePath, ResourceSegment } from './ast';
import { Lexer } from './lexer';
import { percentDecode } from './percent-decode';

const OPTION = 'resource path';

function fail(message: string, at: number): never {
  throw odataSyntax(`${OPTION}: ${message} at position ${at}`, { target: OPTION });
}

/**
 * Parses the resource path (the part after the service root, '/'-separated and percent-encoded;
 * each segment is decoded on its own, so '%2F' inside a key stays part of the key).
 * Positions are offsets in the given path.
 *
 * @example parseResourcePath("Tasks('a%2Fb')/Contact/$ref") →
 *   { kind: 'resource', segments: [
 *       { kind: 'name', name: 'Tasks', key: [{ value: { kind: 'literal', type: 'Edm.String', value: 'a/b', pos: 6 }, pos: 6 }], pos: 0 },
 *       { kind: 'name', name: 'Contact', pos: 15 }, { kind: 'ref', pos: 23 }] }
 */
export function parseResourcePath(path: string): ResourcePath {
  let base = 0;
  let p = path;
  if (p.startsWith('/')) {
    p = p.slice(1);
    base = 1;
  }
  if (p === '') return { kind: 'serviceDocument' };
  const raws = p.split('/');
  const starts: number[] = [];
  let at = base;
  for (const r of raws) {
    starts.push(at);
    at += r.length + 1;
  }
  const decoded = raws.map((r, i) => {
    if (r === '') fail('empty path segment', starts[i] as number);
    return percentDecode(r, OPTION);
  });
  const first = decoded[0] as string;
  const only = (kind: string): void => {
    if (decoded.length > 1) fail(`nothing may follow ${kind}`, starts[1] as number);
  };
  switch (first) {
    case '$metadata':
      only('$metadata');
      return { kind: 'metadata' };
    case '$batch':
      only('$batch');
      return { kind: 'batch' };
    case '$entity': {
      if (decoded.length > 2) fail('nothing may follow $entity/Type', starts[2] as number);
      const typeName = decoded[1];
      if (typeName === undefined) return { kind: 'entityById' };
      if (!typeName.includes('.') || !/^[A-Za-z_][\w.]*$/.test(typeName)) fail('expected a qualified type name after $entity/', starts[1] as number);
      return { kind: 'entityById', typeName };
    }
    default:
      break;
  }
  if (first === '$all' || first.startsWith('$crossjoin')) {
    throw odataNotImplemented(`${first.replace(/\(.*$/, '')} is not supported by this service`, { target: OPTION });
  }
  const segments: ResourceSegment[] = [];
  let terminal: string | undefined;
  decoded.forEach((text, i) => {
    const pos = starts[i] as number;
    if (terminal !== undefined) fail(`no path segment may follow ${terminal}`, pos);
    const seg = parseSegment(text, pos, i === 0);
    if (seg.kind !== 'name') terminal = `$${seg.kind}`;
    segments.push(seg);
  });
  return { kind: 'resource', segments };
}

function parseSegment(text: string, pos: number, first: boolean): ResourceSegment {
  const lx = new Lexer(text, OPTION);
  lx.positionOffset = pos;
  const t = lx.next();
  if (t.spaceBefore) fail('unexpected whitespace', pos);
  if (t.kind === 'dollar') {
    if (t.text === '$filter' || t.text === '$each' || t.text === '$query') {
      throw odataNotImplemented(`the ${t.text} path segment is not supported by this service`, { target: OPTION });
    }
    if (lx.peek().kind !== 'eof') lx.fail(`unexpected ${lx.describe(lx.peek())}`, lx.peek().start);
    switch (t.text) {
      case '$count':
        if (first) break;
        return { kind: 'count', pos };
      case '$value':
        if (first) break;
        return { kind: 'value', pos };
      case '$ref':
        if (first) break;
        return { kind: 'ref', pos };
      default:
        break;
    }
    return fail(`unexpected '${t.text}'`, pos);
  }
  if (t.kind !== 'name') {
    return lx.fail(`expected an entity set, property or type name but found ${lx.describe(t)} (key-as-segment is not supported)`, t.start);
  }
  if (first && t.text.includes('.')) lx.fail('the first path segment must be an entity set or singleton name', t.start);
  let key: KeyValue[] | undefined;
  if (lx.isPunct('(') && !lx.peek().spaceBefore) key = parseKey(lx);
  const after = lx.peek();
  if (after.kind !== 'eof') {
    if (after.kind === 'punct' && after.text === '(') {
      throw odataNotImplemented('function calls in the resource path are not supported by this service', { target: OPTION });
    }
    lx.fail(`unexpected ${lx.describe(after)}`, after.start);
  }
  return key === undefined ? { kind: 'name', name: t.text, pos } : { kind: 'name', name: t.text, key, pos };
}

function keyValue(lx: Lexer): LiteralExpr | AliasExpr {
  const v = lx.next();
  if (v.kind === 'literal' && v.literal !== undefined && v.literal.type !== 'null') return { ...v.literal, pos: v.literal.pos + lx.positionOffset };
  if (v.kind === 'at' && !v.text.includes('.') && v.qualifier === undefined) return { kind: 'alias', name: v.text, pos: v.start + lx.positionOffset };
  return lx.fail(`expected a key value (a literal or @alias) but found ${lx.describe(v)}`, v.start);
}

/** `(value)` or `(name=value, …)`; an empty `()` is a function call (not supported). */
function parseKey(lx: Lexer): KeyValue[] {
  const open = lx.next();
  if (lx.isPunct(')')) throw odataNotImplemented('function calls in the resource path are not supported by this service', { target: OPTION });
  const m = lx.mark();
  const f = lx.next();
  const named = f.kind === 'name' && !f.text.includes('.') && lx.isPunct('=');
  lx.reset(m);
  const values: KeyValue[] = [];
  if (!named) {
    const pos = lx.peek().start + lx.positionOffset;
    values.push({ value: keyValue(lx), pos });
  } else {
    for (;;) {
      const n = lx.next();
      if (n.kind !== 'name' || n.text.includes('.')) lx.fail(`expected a key property name but found ${lx.describe(n)}`, n.start);
      lx.expectPunct('=');
      values.push({ name: n.text, value: keyValue(lx), pos: n.start + lx.positionOffset });
      if (!lx.isPunct(',')) break;
      lx.next();
    }
  }
  lx.expectPunct(')', named ? "',' or ')'" : "')'");
  if (open.spaceBefore) lx.fail('unexpected whitespace', open.start);
  return values;
}
