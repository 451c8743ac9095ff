// What the query engine executes: read by the validator (to accept or answer 501) and by $metadata (to advertise it).

/** Canonical functions accepted in $filter, $orderby, $compute and $apply expressions. */
export const FILTER_FUNCTIONS = [
  'contains',
  'startswith',
  'endswith',
  'length',
  'indexof',
  'substring',
  'tolower',
  'toupper',
  'trim',
  'concat',
  'matchesPattern',
  'year',
  'month',
  'day',
  'hour',
  'minute',
  'second',
  'fractionalseconds',
  'date',
  'time',
  'totaloffsetminutes',
  'now',
  'mindatetime',
  'maxdatetime',
  'round',
  'floor',
  'ceiling',
  'cast',
  'isof',
] as const;

export type FilterFunction = (typeof FILTER_FUNCTIONS)[number];

export const APPLY_TRANSFORMATIONS = [
  'aggregate',
  'groupby',
  'filter',
  'compute',
  'orderby',
  'top',
  'skip',
  'topcount',
  'bottomcount',
  'toppercent',
  'bottompercent',
  'topsum',
  'bottomsum',
  'concat',
  'identity',
  'search',
] as const;

export const AGGREGATION_METHODS = ['sum', 'min', 'max', 'average', 'countdistinct'] as const;
