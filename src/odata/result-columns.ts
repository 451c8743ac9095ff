// Column names of a read statement's result: the contract between the planners, the SQL compiler and the serialisers.

export const resultColumn = {
  /** The i-th output property. */
  select: (i: number): string => `c${i}`,
  /** The i-th key property (entity ids), fetched even when not selected. */
  key: (i: number): string => `k${i}`,
  /** The i-th order value (keyset skiptokens; the order inside an expansion). */
  order: (i: number): string => `o${i}`,
  /** The i-th expansion as one JSON value, and its count. */
  expand: (i: number): string => `e${i}`,
  expandCount: (i: number): string => `n${i}`,
  /** Which shape of instance a $apply row has (after concat or rollup). */
  shape: 'sh',
  /** The whole entity as JSON text written by PostgreSQL. */
  entityJson: 'j',
} as const;
