// OASIS Data Aggregation ABNF test vectors (odata-aggregation-testcases.yaml) → $apply / expression / query parsers → "N passed, M failed, K skipped".
//
// Skips (same predicates as abnf-vectors.test.ts, see abnf-harness.ts):
//
// | skipped                                   | reason                                                  |
// |-------------------------------------------|---------------------------------------------------------|
// | `$metadata#…` context URLs                | context URLs are written by the service, never parsed    |
// | `$crossjoin(…)` resource paths            | cross joins are not offered (501)                       |
//
// Semantic negatives (aggregate over a collection-valued path, a single-valued join, grouping
// through a collection, an unknown custom aggregate) are caught by applying the file's
// Constraints name lists to the parsed AST, as the OASIS ABNF test tool does.

import { reportVectorFile } from './abnf-harness';

describe('OASIS Data Aggregation ABNF test vectors (odata-aggregation-testcases.yaml)', () => {
  it('accepts every positive and rejects every negative vector', () => {
    expect(reportVectorFile('odata-aggregation-testcases.yaml')).toEqual([]);
  });
});
