// $apply on the Sales model and example data of OASIS OData Data Aggregation v4.0 (loaded like MODEL_DIR): the spec's
// basic examples of grouping by a navigation property and of the aggregate 'from' keyword, with the spec's results.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { taskfeedModel } from '../../src/model/entity-model';
import { loadModelDir, mergeModel, verifyModelColumns } from '../../src/model/model-dir';
import { createTestApp, READ_KEY, type TestApp } from '../helpers/test-app';
import { createTestDatabase } from '../helpers/test-db';

const MODEL_DIR = path.join(__dirname, '..', 'fixtures', 'sales-model');

let t: TestApp;

beforeAll(async () => {
  const database = await createTestDatabase();
  await database.db.exec(fs.readFileSync(path.join(MODEL_DIR, 'sales.sql'), 'utf8'));
  const model = mergeModel(taskfeedModel, loadModelDir(MODEL_DIR));
  expect(await verifyModelColumns(database.db, model)).toEqual([]);
  t = await createTestApp({ model, database });
});

afterAll(async () => {
  await t.close();
});

async function get(pathAndQuery: string) {
  return request(t.app).get(`/odata/${pathAndQuery}`).set('X-Api-Key', READ_KEY);
}

/** The rows without annotations, numbers as numbers (Decimal results may arrive as JSON numbers with any scale). */
async function values(set: string, apply: string): Promise<Record<string, unknown>[]> {
  const res = await get(`${set}?$apply=${encodeURIComponent(apply)}`);
  if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
  return (res.body.value as Record<string, unknown>[]).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.includes('@'))));
}

describe('grouping by a single-valued navigation property groups by the related entity and returns it expanded', () => {
  it('groupby((Customer)): the customers that have sales', async () => {
    const res = await get(`Sales?$apply=${encodeURIComponent('groupby((Customer))')}`);
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#Sales(Customer(ID,Name,Country))');
    expect(res.body.value).toEqual([
      { Customer: { ID: 'C1', Name: 'Joe', Country: 'USA' } },
      { Customer: { ID: 'C2', Name: 'Sue', Country: 'USA' } },
      { Customer: { ID: 'C3', Name: 'Sue', Country: 'Netherlands' } },
    ]);
  });

  it('groupby((Time),aggregate(Amount with sum as Total)): the daily totals', async () => {
    expect(await values('Sales', 'groupby((Time),aggregate(Amount with sum as Total))')).toEqual([
      { Time: { Date: '2022-01-03', Month: '2022-01', Quarter: '2022-1', Year: 2022 }, Total: 9 },
      { Time: { Date: '2022-04-01', Month: '2022-04', Quarter: '2022-2', Year: 2022 }, Total: 16 },
      { Time: { Date: '2022-04-02', Month: '2022-04', Quarter: '2022-2', Year: 2022 }, Total: 8 },
    ]);
  });

  it('groupby((Time),aggregate(Amount with sum as Total))/aggregate(Total with average as DailyAverage) = 11', async () => {
    expect(await values('Sales', 'groupby((Time),aggregate(Amount with sum as Total))/aggregate(Total with average as DailyAverage)')).toEqual([{ DailyAverage: 11 }]);
  });

  it('next to a plain property, and through two navigations', async () => {
    expect(await values('Sales', 'groupby((Currency,Product/Category),aggregate(Amount with sum as Total))')).toEqual([
      { Currency: 'EUR', Product: { Category: { ID: 'PG1', Name: 'Food' } }, Total: 14 },
      { Currency: 'USD', Product: { Category: { ID: 'PG1', Name: 'Food' } }, Total: 14 },
      { Currency: 'USD', Product: { Category: { ID: 'PG2', Name: 'Non-Food' } }, Total: 5 },
    ]);
  });
});

describe("aggregate 'from': aggregate per grouping first, then over the groups", () => {
  it('aggregate(Amount with sum from Time with average as DailyAverage) = 11', async () => {
    const res = await get(`Sales?$apply=${encodeURIComponent('aggregate(Amount with sum from Time with average as DailyAverage)')}`);
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#Sales(DailyAverage)');
    expect(res.body.value).toEqual([{ 'DailyAverage@odata.type': '#Decimal', DailyAverage: 11 }]);
  });

  it('per country: groupby((Customer/Country),aggregate(Amount with sum from Time with average as DailyAverage))', async () => {
    // Netherlands: 6 on 2022-04-01 and 8 on 2022-04-02; USA: 9 on 2022-01-03 and 10 on 2022-04-01.
    expect(await values('Sales', 'groupby((Customer/Country),aggregate(Amount with sum from Time with average as DailyAverage))')).toEqual([
      { Customer: { Country: 'Netherlands' }, DailyAverage: 7 },
      { Customer: { Country: 'USA' }, DailyAverage: 9.5 },
    ]);
  });

  it('from a plain property: the largest daily total per product', async () => {
    expect(await values('Sales', 'groupby((Product/Name),aggregate(Amount with sum from Date with max as BestDay))')).toEqual([
      { Product: { Name: 'Coffee' }, BestDay: 8 },
      { Product: { Name: 'Paper' }, BestDay: 4 },
      { Product: { Name: 'Sugar' }, BestDay: 8 },
    ]);
  });

  it.each([
    ['aggregate(Amount with sum from Nope with average as A)', 400],
    ['aggregate(Amount with sum from Time with average as A, $count as n)', 501],
  ])('%s answers %s', async (apply, status) => {
    expect((await get(`Sales?$apply=${encodeURIComponent(apply)}`)).status).toBe(status);
  });
});

describe('$apply inside $expand: the related entities aggregated per parent, in the same statement', () => {
  it('Products?$expand=Sales($apply=aggregate(Amount with sum as Total))', async () => {
    const res = await get(`Products?$select=ID,Name&$expand=${encodeURIComponent('Sales($apply=aggregate(Amount with sum as Total))')}`);
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#Products(ID,Name,Sales(Total))');
    const plain = (res.body.value as { ID: string; Name: string; Sales: Record<string, unknown>[] }[]).map((p) => ({
      ID: p.ID,
      Name: p.Name,
      Sales: p.Sales.map((s) => Object.fromEntries(Object.entries(s).filter(([k]) => !k.includes('@')))),
    }));
    // Aggregating no sales gives one instance whose sum is null.
    expect(plain).toEqual([
      { ID: 'P1', Name: 'Sugar', Sales: [{ Total: 16 }] },
      { ID: 'P2', Name: 'Coffee', Sales: [{ Total: 12 }] },
      { ID: 'P3', Name: 'Paper', Sales: [{ Total: 5 }] },
      { ID: 'P4', Name: 'Pencil', Sales: [{ Total: null }] },
    ]);
  });

  it('groupby, $orderby and $top inside the expansion', async () => {
    const expand = 'Sales($apply=groupby((Currency),aggregate(Amount with sum as Total));$orderby=Total desc;$top=1)';
    const res = await get(`Customers?$select=ID&$expand=${encodeURIComponent(expand)}`);
    expect(res.status).toBe(200);
    expect((res.body.value as { ID: string; Sales: { Currency: string; Total: number }[] }[]).map((c) => [c.ID, c.Sales.map((s) => [s.Currency, s.Total])])).toEqual([
      ['C1', [['USD', 7]]],
      ['C2', [['USD', 12]]],
      ['C3', [['EUR', 14]]],
      ['C4', []],
    ]);
  });

  it.each([
    ['Sales($apply=aggregate(Nope with sum as Total))', 400],
    ['Sales($apply=aggregate(Amount with sum as Total);$count=true)', 501],
  ])('%s answers %s', async (expand, status) => {
    expect((await get(`Products?$expand=${encodeURIComponent(expand)}`)).status).toBe(status);
  });
});
