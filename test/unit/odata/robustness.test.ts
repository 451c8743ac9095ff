// random OData-ish fragments → parseQueryString / parseResourcePath: every rejection is an AppError (a 4xx/501), never a crash (500).

import { isAppError } from '../../../src/errors';
import { parseQueryString } from '../../../src/odata/parse-query';
import { parseResourcePath } from '../../../src/odata/parse-path';
it('rejects 20,000 random OData-ish inputs only with AppErrors', () => {
  const pieces = ["(", ")", "'", '"', ",", ";", "/", "$", "@", "=", " ", "%", "%2", "%27", "%C3", "[", "]", "{", "}", ":", "-", "+", ".", "*", "#",
    "eq", "and", "or", "not", "in", "has", "any", "all", "x", "Name", "$count", "$filter", "$it", "$root", "$these", "1", "2024-01-15", "12:30", "T",
    "duration'", "binary'", "Ns.T'", "geography'SRID=0;", "Point(", "cast(", "case(", "aggregate(", "with", "as", "from", "groupby((", "rollup(",
    "filter(", "search(", "NOT", "AND", "OR", "keep start", "traverse(", "concat(", "$ref", "$levels", "max", "true", "null", "INF"];
  const opts = ['$filter=', '$select=', '$expand=', '$orderby=', '$search=', '$apply=', '$compute=', '@p=', ''];
  let seed = 42;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const crashes: string[] = [];
  for (let i = 0; i < 20000; i++) {
    let s = opts[rnd(opts.length)] as string;
    const len = 1 + rnd(12);
    for (let k = 0; k < len; k++) s += pieces[rnd(pieces.length)];
    for (const fn of [() => parseQueryString(s), () => parseResourcePath(s)]) {
      try { fn(); } catch (e) { if (!isAppError(e)) crashes.push(`${JSON.stringify(s)}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`); }
    }
  }
  expect(crashes.slice(0, 10)).toEqual([]);
});
