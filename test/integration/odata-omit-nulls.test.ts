// Prefer: omit-values=nulls → null properties left out (top level and expanded), acknowledged in Preference-Applied.
import { useReadApp } from '../helpers/read-app';

const fixture = useReadApp();

describe('Prefer: omit-values=nulls', () => {
  it.each([
    ['rows written by PostgreSQL', "/odata/Analytics?$filter=id eq 'a3'&$select=id,intent,intentScore,inputText"],
    ['rows written by the server (full metadata off, expand on)', "/odata/Analytics?$filter=id eq 'a3'&$select=id,intent,intentScore,inputText&$expand=session($select=id,goals)"],
  ])('%s', async (_name, url) => {
    const res = await fixture.get(url).set('Prefer', 'omit-values=nulls, odata.maxpagesize=10');
    expect(res.status).toBe(200);
    expect(res.headers['preference-applied']).toBe('odata.maxpagesize=10, omit-values=nulls');
    const [row] = res.body.value as Record<string, unknown>[];
    expect(row).toMatchObject({ id: 'a3', inputText: 'talk to a human' });
    expect(Object.keys(row as object)).not.toContain('intent');
    expect(Object.keys(row as object)).not.toContain('intentScore');
  });

  it('writes nulls explicitly without the preference', async () => {
    const res = await fixture.get("/odata/Analytics?$filter=id eq 'a3'&$select=id,intent");
    expect(res.headers['preference-applied']).toBeUndefined();
    expect(res.body.value).toEqual([{ id: 'a3', intent: null }]);
  });

  it('applies to a single entity', async () => {
    const res = await fixture.get("/odata/ContactProfiles(projectId='p1',contactId='c2')").set('Prefer', 'odata.omit-values=nulls');
    expect(res.headers['preference-applied']).toBe('omit-values=nulls');
    expect(res.body).toMatchObject({ contactId: 'c2', firstname: 'Bo' });
    expect(Object.keys(res.body)).not.toContain('lastname');
  });
});
