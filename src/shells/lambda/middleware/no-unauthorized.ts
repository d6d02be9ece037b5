/**
 * A Lambda never answers 401: API Gateway renames a Lambda's WWW-Authenticate header, so a 401
 * from here would carry no usable challenge and break docker login. Missing or bad tokens are
 * the authorizer's to refuse (its gateway response carries the challenge); a 401 reaching this
 * point becomes 403 DENIED, the answer for repository-level refusals. Registered before the error
 * mapping, so it also sees 401s that the mapping made from a thrown RegistryError.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { RegistryError } from '../../../core/errors.js';
import { errorResponse } from '../../../core/registry.js';
import { toProxyResult } from '../response.js';
import type { MiddlewareLikeObj, MiddyLikeRequest } from '../middy-like.js';

type Event = Pick<APIGatewayProxyEvent, 'httpMethod'>;

export function noUnauthorized(): MiddlewareLikeObj<Event, APIGatewayProxyResult> {
  const rewrite = (request: MiddyLikeRequest<Event, APIGatewayProxyResult>): void => {
    if (request.response?.statusCode !== 401) return;
    const head = request.event.httpMethod?.toUpperCase() === 'HEAD';
    const denied = new RegistryError(
      'DENIED',
      'requested access to the resource is denied (authentication is checked by the API authorizer; this credential may not do this here)',
    );
    request.response = toProxyResult(errorResponse(denied, head), head);
  };
  return { after: rewrite, onError: rewrite };
}
