// $apply over a second, unrelated model (Northwind, loaded like MODEL_DIR): the engine knows nothing of the taskfeed tables.
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { taskfeedModel } from '../../src/model/entity-model';
import { loadModelDir, mergeModel, verifyModelColumns } from '../../src/model/model-dir';
import { createTestApp, P1_KEY, READ_KEY, type TestApp } from '../helpers/test-app';
import { createTestDatabase } from '../helpers/test-db';

const MODEL_DIR = path.join(__dirname, '..', 'fixtures', 'northwind-model');

let t: TestApp;

beforeAll(async () => {
  const database = await createTestDatabase();
  await database.db.exec(fs.readFileSync(path.join(MODEL_DIR, 'northwind.sql'), 'utf8'));
  const model = mergeModel(taskfeedModel, loadModelDir(MODEL_DIR));
  expect(await verifyModelColumns(database.db, model)).toEqual([]);
  t = await createTestApp({ model, database });
});

afterAll(async () => {
  await t.close();
});

async function values(set: string, apply: string, extra = '', key = READ_KEY): Promise<Record<string, unknown>[]> {
  const res = await request(t.app).get(`/odata/${set}?$apply=${encodeURIComponent(apply)}${extra}`).set('X-Api-Key', key);
  if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
  return (res.body.value as Record<string, unknown>[]).map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.includes('@'))));
}

function near(actual: unknown, expected: number, relative = 1e-5): boolean {
  return Math.abs(Number(actual) - expected) <= Math.abs(expected) * relative;
}

describe('$apply over Northwind', () => {
  it('counts products per category through a navigation', async () => {
    expect(await values('Products', 'groupby((category/categoryName),aggregate($count as products))')).toEqual([
      { category: { categoryName: 'Beverages' }, products: 12 },
      { category: { categoryName: 'Condiments' }, products: 12 },
      { category: { categoryName: 'Confections' }, products: 13 },
      { category: { categoryName: 'Dairy Products' }, products: 10 },
      { category: { categoryName: 'Grains/Cereals' }, products: 7 },
      { category: { categoryName: 'Meat/Poultry' }, products: 6 },
      { category: { categoryName: 'Produce' }, products: 5 },
      { category: { categoryName: 'Seafood' }, products: 12 },
    ]);
  });

  it('sums quantities per product and keeps the top 3', async () => {
    const res = await request(t.app)
      .get(`/odata/OrderDetails?$apply=${encodeURIComponent('groupby((product/productName),aggregate(quantity with sum as units))/topcount(3,units)')}`)
      .set('X-Api-Key', READ_KEY);
    expect(res.status).toBe(200);
    expect(res.body['@odata.context']).toBe('http://taskfeed.test/odata/$metadata#OrderDetails(product(productName),units)');
    expect(res.body.value).toEqual([
      { product: { productName: 'Camembert Pierrot' }, 'units@odata.type': '#Int64', units: 1577 },
      { product: { productName: 'Raclette Courdavault' }, 'units@odata.type': '#Int64', units: 1496 },
      { product: { productName: 'Gorgonzola Telino' }, 'units@odata.type': '#Int64', units: 1397 },
    ]);
  });

  it('counts a collection navigation and the set itself', async () => {
    expect(await values('Categories', 'aggregate(products/$count as productCount,$count as categories)')).toEqual([{ productCount: 77, categories: 8 }]);
    expect(await values('Orders', 'aggregate(customerId with countdistinct as customers,details/$count as lines)')).toEqual([{ customers: 89, lines: 2155 }]);
  });

  it('groups orders by year', async () => {
    expect(await values('Orders', 'compute(year(orderDate) as year)/groupby((year),aggregate($count as orders))')).toEqual([
      { year: 1996, orders: 152 },
      { year: 1997, orders: 408 },
      { year: 1998, orders: 270 },
    ]);
  });

  it('sums computed revenue per ship country', async () => {
    const rows = await values(
      'OrderDetails',
      'compute(unitPrice mul quantity mul (1 sub discount) as revenue)/groupby((order/shipCountry),aggregate(revenue with sum as total))/orderby(total desc)/top(3)',
    );
    expect(rows.map((r) => (r.order as { shipCountry: string }).shipCountry)).toEqual(['USA', 'Germany', 'Austria']);
    expect(near(rows[0]?.total, 245584.61)).toBe(true);
    expect(near(rows[1]?.total, 230284.63)).toBe(true);
    expect(near(rows[2]?.total, 128003.84)).toBe(true);
  });

  it('averages a Double per category and filters before aggregating', async () => {
    const rows = await values('Products', 'groupby((category/categoryName),aggregate(unitPrice with average as avgPrice,unitPrice with max as maxPrice))', '&$top=2');
    expect(rows.map((r) => (r.category as { categoryName: string }).categoryName)).toEqual(['Beverages', 'Condiments']);
    expect(near(rows[0]?.avgPrice, 37.979166666666664)).toBe(true);
    expect(near(rows[0]?.maxPrice, 263.5)).toBe(true);
    expect(near(rows[1]?.avgPrice, 22.854166825612385)).toBe(true);
    const germany = await values('Orders', "filter(shipCountry eq 'Germany')/aggregate(freight with sum as totalFreight,$count as orders)");
    expect(germany[0]?.orders).toBe(122);
    expect(near(germany[0]?.totalFreight, 11283.278)).toBe(true);
  });

  it('pages the aggregated rows and counts them', async () => {
    const res = await request(t.app).get('/odata/Products/$count?$apply=groupby((categoryId))').set('X-Api-Key', READ_KEY);
    expect(res.text).toBe('8');
    const page = await request(t.app).get('/odata/Products?$apply=groupby((categoryId))&$count=true').set('X-Api-Key', READ_KEY).set('Prefer', 'odata.maxpagesize=3');
    expect(page.body['@odata.count']).toBe(8);
    expect(page.body.value.map((r: { categoryId: number }) => r.categoryId)).toEqual([1, 2, 3]);
    expect(page.body['@odata.nextLink']).toContain('$skiptoken=');
  });

  it('a key restricted to a project reads nothing from sets without a project property', async () => {
    expect(await values('Products', 'aggregate($count as n)', '', P1_KEY)).toEqual([{ n: 0 }]);
  });
});
