import type { Request } from 'express';
import { jsonContentType, negotiateJsonFormat, negotiateMetadataFormat, preferredPageSize } from '../../../src/http/odata-format';

const request = (headers: Record<string, string>) => ({ headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) }) as unknown as Request;

const POWER_QUERY_ACCEPT =
  'application/json;odata.metadata=minimal;q=1.0,application/json;odata=minimalmetadata;q=0.9,application/atomsvc+xml;q=0.8,application/atom+xml;q=0.8,application/xml;q=0.7,text/plain;q=0.7';

describe('negotiateJsonFormat', () => {
  it.each([
    ['no headers: 4.01, minimal', {}, undefined, { version: '4.01', metadata: 'minimal', ieee754Compatible: false }],
    ['Power Query', { Accept: POWER_QUERY_ACCEPT, 'OData-MaxVersion': '4.0' }, undefined, { version: '4.0', metadata: 'minimal', ieee754Compatible: false }],
    ['full metadata', { Accept: 'application/json;odata.metadata=full' }, undefined, { version: '4.01', metadata: 'full', ieee754Compatible: false }],
    ['IEEE754Compatible', { Accept: 'application/json;IEEE754Compatible=true' }, undefined, { version: '4.01', metadata: 'minimal', ieee754Compatible: true }],
    ['metadata=none via $format', {}, 'application/json;odata.metadata=none', { version: '4.01', metadata: 'none', ieee754Compatible: false }],
    ['$format=json overrides Accept', { Accept: 'application/xml' }, 'json', { version: '4.01', metadata: 'minimal', ieee754Compatible: false }],
    ['wildcard', { Accept: '*/*' }, undefined, { version: '4.01', metadata: 'minimal', ieee754Compatible: false }],
  ])('%s', (_name, headers, format, expected) => {
    expect(negotiateJsonFormat(request(headers), format)).toEqual(expected);
  });

  it.each([
    ['XML only', { Accept: 'application/xml' }, undefined, 406],
    ['$format=xml for data', {}, 'xml', 406],
    ['unknown metadata level', { Accept: 'application/json;odata.metadata=huge' }, undefined, 406],
    ['OData-MaxVersion 3.0', { 'OData-MaxVersion': '3.0' }, undefined, 406],
    ['OData-Version 5.0', { 'OData-Version': '5.0' }, undefined, 400],
  ])('rejects %s', (_name, headers, format, status) => {
    expect(() => negotiateJsonFormat(request(headers), format)).toThrow(expect.objectContaining({ status }));
  });

  it('writes the content type with the metadata parameter', () => {
    expect(jsonContentType({ version: '4.0', metadata: 'minimal', ieee754Compatible: false })).toBe(
      'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false',
    );
  });
});

describe('negotiateMetadataFormat', () => {
  it.each([
    [{}, undefined, 'xml'],
    [{ Accept: POWER_QUERY_ACCEPT }, undefined, 'xml'],
    [{ Accept: 'application/json' }, undefined, 'json'],
    [{}, 'json', 'json'],
    [{ Accept: 'application/json' }, 'xml', 'xml'],
  ])('%j %s → %s', (headers, format, expected) => {
    expect(negotiateMetadataFormat(request(headers), format)).toBe(expected);
  });
});

describe('preferredPageSize', () => {
  it.each([
    ['odata.maxpagesize=50', 50],
    ['maxpagesize=7', 7],
    ['return=minimal, odata.maxpagesize="20"', 20],
    ['odata.maxpagesize=0', undefined],
    ['respond-async', undefined],
  ])('%s → %s', (prefer, expected) => {
    expect(preferredPageSize(request({ Prefer: prefer }))).toBe(expected);
  });
});
