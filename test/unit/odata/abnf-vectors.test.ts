// OASIS OData ABNF test vectors (odata-abnf-testcases.yaml) → parse stage in syntax-only mode → "N passed, M failed, K skipped".
//
// Which vectors run, and why the others are skipped (see abnf-harness.ts for the exact predicates):
//
// | skipped                                                        | reason                                                                 |
// |----------------------------------------------------------------|------------------------------------------------------------------------|
// | rules context, header, prefer, preference, request-id, …Preference | not URL syntax the service parses (context URLs are written, headers parsed elsewhere) |
// | URLs with a #fragment                                          | fragments never reach the server                                       |
// | function imports, bound functions/actions in the resource path | the service exposes no functions or actions (404/501)                  |
// | $crossjoin, $all                                               | not offered (501)                                                      |
// | $filter / $each / $query path segments                         | optional 4.01 features, not offered (501)                              |
// | key-as-segment, ordinal index (`Customers/1`, `Addresses/0`)   | optional 4.01 features, not offered                                    |
//
// Negative vectors are never skipped. Positives only with the reasons above.

import { reportVectorFile } from './abnf-harness';

describe('OASIS ABNF test vectors (odata-abnf-testcases.yaml)', () => {
  it('accepts every positive and rejects every negative vector', () => {
    expect(reportVectorFile('odata-abnf-testcases.yaml')).toEqual([]);
  });
});
