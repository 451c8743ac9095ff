// The negotiated shape of a JSON response (decided by http/odata-format, obeyed by the serialisers).
export type MetadataLevel = 'minimal' | 'full' | 'none';

export interface ResponseFormat {
  readonly version: '4.0' | '4.01';
  readonly metadata: MetadataLevel;
  readonly ieee754Compatible: boolean;
}
