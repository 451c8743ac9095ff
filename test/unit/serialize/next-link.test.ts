import { encodeSkipToken } from '../../../src/odata/skiptoken';
import { buildNextLink } from '../../../src/serialize/next-link';

describe('buildNextLink', () => {
  const token = { kind: 'keyset', values: ['2024-01-15 12:00:00+00', 'a1'] } as const;
  const encoded = encodeSkipToken(token);

  it.each([
    ['no options', '', 1000, undefined, `$skiptoken=${encoded}`],
    ['keeps other options as sent', '$filter=intent%20eq%20%27x%27&$select=id', 1000, undefined, `$filter=intent%20eq%20%27x%27&$select=id&$skiptoken=${encoded}`],
    ['reduces $top by the page', '$top=2500&$orderby=timestamp', 1000, 2500, `$orderby=timestamp&$top=1500&$skiptoken=${encoded}`],
    ['drops $skip (consumed by the first page)', '$skip=10&$top=2500', 1000, 2500, `$top=1500&$skiptoken=${encoded}`],
    ['replaces an earlier skiptoken', '$skiptoken=old&%24TOP=30', 10, 30, `$top=20&$skiptoken=${encoded}`],
    ['keeps a key that came in the URL', 'apikey=k1&$top=30', 10, 30, `apikey=k1&$top=20&$skiptoken=${encoded}`],
    ['option names without $', 'top=30&skip=5', 10, 30, `$top=20&$skiptoken=${encoded}`],
  ])('%s', (_name, query, pageSize, top, expected) => {
    expect(buildNextLink('https://h/odata/Analytics', query, pageSize, top, token)).toBe(`https://h/odata/Analytics?${expected}`);
  });
});
