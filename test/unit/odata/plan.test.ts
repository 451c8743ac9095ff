import { taskfeedModel, findEntitySet } from '../../../src/model/entity-model';
import type { BoundExpr, BoundOrder, OutputColumn } from '../../../src/odata/bound';
import { withKeyTieBreak } from '../../../src/odata/order-keys';
import { pageFor, planEntities } from '../../../src/odata/plan';

const set = findEntitySet(taskfeedModel, 'Analytics')!;
const root = { alias: 't0', set };
const column = (name: string, type: 'Edm.String' | 'Edm.DateTimeOffset' = 'Edm.String'): BoundExpr => ({ kind: 'column', alias: 't0', column: name, type });
const key: OutputColumn = { name: 'id', expr: column('id'), type: 'Edm.String' };
const byTime: BoundOrder = { expr: column('occurred_at', 'Edm.DateTimeOffset'), desc: true };

describe('withKeyTieBreak', () => {
  it.each([
    ['no order: the key ascending', [], [{ expr: column('id'), desc: false }]],
    ['desc order: the key in the same direction', [byTime], [byTime, { expr: column('id'), desc: true }]],
    ['key already ordered: unchanged', [{ expr: column('id'), desc: true }], [{ expr: column('id'), desc: true }]],
  ])('%s', (_name, orderby, expected) => {
    expect(withKeyTieBreak(orderby as BoundOrder[], [key])).toEqual(expected);
  });
});

describe('pageFor / planEntities', () => {
  it.each([
    [undefined, 1000, { size: 1000 }],
    [10, 1000, { size: 10, remaining: 10 }],
    [2500, 1000, { size: 1000, remaining: 2500 }],
  ])('top %s, page %s', (top, pageSize, expected) => {
    expect(pageFor(top, pageSize)).toEqual(expected);
  });

  const query = { kind: 'entities' as const, root, select: [key], explicitSelect: true, keys: [key], expand: [], where: [], orderby: [byTime], skip: 20, count: false };

  it('fetches one row more than the page and skips on the first page only', () => {
    const first = planEntities({ ...query, top: 50 }, { pageSize: 1000 });
    expect(first).toMatchObject({ limit: 51, pageSize: 50, offset: 20, remaining: 50 });
    const next = planEntities({ ...query, top: 50 }, { pageSize: 1000, after: ['2024-01-01 00:00:00+00', 'a1'] });
    expect(next).toMatchObject({ offset: 0, after: ['2024-01-01 00:00:00+00', 'a1'] });
    expect(next.orderby).toHaveLength(2);
  });
});
