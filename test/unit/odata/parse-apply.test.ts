// parse-apply: $apply text → ApplySequence (one node kind per transformation).

import type { ApplyTransformation } from '../../../src/odata/ast';
import { parseApply } from '../../../src/odata/parse-apply';
import { errorOf, sexpr } from './sexpr';

const kinds = (seq: readonly ApplyTransformation[]): string[] => seq.map((t) => t.kind);

describe('parseApply', () => {
  it.each([
    ['aggregate(Amount with sum as Total)', ['aggregate']],
    ['filter(Amount gt 3)/groupby((Status),aggregate($count as N))/orderby(N desc)/top(5)/skip(1)', ['filter', 'groupby', 'orderby', 'top', 'skip']],
    ['search(coffee OR tea)/compute(Amount mul 2 as Double)/identity', ['search', 'compute', 'identity']],
    ['topcount(2,Amount)/bottomcount(2,Amount)/toppercent(50,Amount)/bottompercent(5,Amount)/topsum(9,Amount)/bottomsum(1,Amount)', ['topcount', 'bottomcount', 'toppercent', 'bottompercent', 'topsum', 'bottomsum']],
    ['concat(identity,aggregate($count as N))', ['concat']],
    ['nest(groupby((Customer/ID)) as Ids)/addnested(Sales,filter(Amount gt 3) as Big)', ['nest', 'addnested']],
    ['join(Sales as Sale,filter(Amount gt 1))/outerjoin(Items as Item)', ['join', 'outerjoin']],
    ['ancestors($root/Orgs,Hier,ID,filter(Name eq \'x\'),2,keep start)/descendants($root/Orgs,Hier,ID,identity)', ['ancestors', 'descendants']],
    ['traverse($root/Orgs,Hier,ID,preorder,filter(true),Name desc,ID)', ['traverse']],
    ['Custom.condense()/Self.TopCountAndBalance(Count=1,Property=\'Total\')', ['customFunction', 'customFunction']],
  ])('%s', (text, expected) => {
    expect(kinds(parseApply(text))).toEqual(expected);
  });

  it('parses aggregate expressions', () => {
    const [t] = parseApply(
      'aggregate(Amount with sum as Total,$count as N,Sales/$count as SalesCount,(A sub B) mul C with average as X,Price with Custom.median from Time with max as M,Forecast,Sales/Forecast as F,Self.Derived with Custom.d as D)',
    );
    expect(t).toMatchObject({
      kind: 'aggregate',
      items: [
        { kind: 'aggregateWith', method: 'sum', alias: 'Total', from: [] },
        { kind: 'aggregateCount', path: [], alias: 'N' },
        { kind: 'aggregateCount', path: ['Sales'], alias: 'SalesCount' },
        { kind: 'aggregateWith', method: 'average', alias: 'X' },
        { kind: 'aggregateWith', method: 'Custom.median', alias: 'M', from: [{ groupings: [['Time']], method: 'max' }] },
        { kind: 'aggregateCustom', path: [], name: 'Forecast', from: [] },
        { kind: 'aggregateCustom', path: ['Sales'], name: 'Forecast', alias: 'F' },
        { kind: 'aggregateWith', method: 'Custom.d', alias: 'D' },
      ],
    });
    expect(sexpr((t as unknown as { items: { expr: never }[] }).items[3]!.expr)).toBe('(mul (sub A B) C)');
  });

  it('parses groupby with rollup, rolluprecursive and a nested sequence', () => {
    const [t] = parseApply('groupby((rollup(Country,City),rollup(OrgHierarchy),rolluprecursive($root/Orgs,Hier,Org/ID),Product/Name),aggregate(Amount with sum as Total)/top(1))');
    expect(t).toMatchObject({
      kind: 'groupby',
      groupings: [
        { kind: 'rollup', paths: [['Country'], ['City']] },
        { kind: 'rollupHierarchy', hierarchy: 'OrgHierarchy' },
        { kind: 'rolluprecursive', hierarchy: { qualifier: 'Hier', nodeProperty: ['Org', 'ID'], collection: { root: { kind: 'root' } } } },
        { kind: 'groupingProperty', path: ['Product', 'Name'] },
      ],
      sequence: [{ kind: 'aggregate' }, { kind: 'top', count: 1 }],
    });
  });

  it('parses the /aggregate(…) expression function and $these', () => {
    const [t] = parseApply('compute(Amount div $these/aggregate(Amount with sum) as Share)');
    expect(t).toMatchObject({
      kind: 'compute',
      items: [{ alias: 'Share', expr: { operator: 'div', right: { root: { kind: 'these' }, segments: [{ kind: 'aggregate', aggregate: { kind: 'aggregateWith', method: 'sum' } }] } } }],
    });
  });

  it.each([
    ['aggregate()', "$apply: expected an expression but found ')' at position 10"],
    ['aggregate(Amount with sum)', "$apply: expected 'as' and an alias but found ')' at position 25"],
    ['aggregate(Amount with median as X)', "$apply: unknown aggregation method 'median' (sum, min, max, average, countdistinct or Namespace.method) at position 22"],
    ['aggregate($count with sum as N)', "$apply: $count cannot be combined with 'with' at position 17"],
    ['groupby((Product/Ns.Derived))', '$apply: a grouping property path cannot end with a type cast at position 17'],
    ['groupby(Name)', "$apply: expected '(' and a list of grouping properties but found 'Name' at position 8"],
    ['concat(identity)', "$apply: expected ',' and a second transformation sequence but found ')' at position 15"],
    ['frobnicate(1)', "$apply: unknown transformation 'frobnicate' at position 0"],
    ['identity()', "$apply: 'identity' takes no arguments at position 8"],
    ['top(-1)', "$apply: expected a non-negative integer but found '-1' at position 4"],
    ['ancestors($root/O,H,ID,aggregate($count as N))', "$apply: 'aggregate' is not allowed here (only transformations that keep the input structure) at position 23"],
    ['filter(a)/', '$apply: expected a transformation but found end of input at position 10'],
  ])('%s → %s', (text, message) => {
    expect(errorOf(() => parseApply(text)).message).toBe(message);
  });
});
