// $apply requests (being written).
import { odataNotImplemented } from '../errors';
import type { BindSession } from '../odata/bind-expr';
import type { Resource } from '../odata/resolve-path';
import type { ODataRequest } from './odata-routes';

export async function readApply(_o: ODataRequest, _resource: Extract<Resource, { kind: 'collection' }>, _session: BindSession): Promise<void> {
  throw odataNotImplemented('$apply is not available yet');
}
