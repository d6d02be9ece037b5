/**
 * The one mapping from a RegistryError to its response: the row's status, the spec's JSON error
 * body, and whatever headers the error's facts call for. Every shell answers errors through
 * errorResponse(); nothing else writes an error's headers.
 */
import { bearerChallenge } from './auth/challenge.js';
import { RegistryError, errorBody, type ErrorFacts } from './errors.js';
import { response, type RegistryResponse } from './messages.js';
import { uploadRangeHeader } from './ranges.js';

/** Where an upload stands, as every answer about it says so (202s, 204s and the 416 out of order). */
export function uploadStateHeaders(upload: { location: string; id: string; offset: number }): Record<string, string> {
  return { location: upload.location, range: uploadRangeHeader(upload.offset), 'docker-upload-uuid': upload.id };
}

/** The headers an error's facts call for (never Content-Type or Content-Length: see errorResponse). */
export function errorHeaders(facts: ErrorFacts): Record<string, string> {
  const headers: Record<string, string> = {};
  if (facts.blobSize !== undefined) headers['content-range'] = `bytes */${facts.blobSize}`;
  if (facts.allowedMethods !== undefined) headers.allow = facts.allowedMethods.join(', ');
  if (facts.retryAfterSeconds !== undefined) headers['retry-after'] = String(facts.retryAfterSeconds);
  if (facts.challenge !== undefined) headers['www-authenticate'] = bearerChallenge(facts.challenge, facts.challenge.scope);
  if (facts.upload !== undefined) Object.assign(headers, uploadStateHeaders(facts.upload));
  return headers;
}

/**
 * The response for an error. Content-Length is always the JSON body's length and is written last,
 * so no fact can shadow it: a response whose body disagrees with its Content-Length corrupts the
 * next response on a keep-alive connection. A HEAD gets the same headers (Content-Length included,
 * as HTTP wants for HEAD) and no body.
 */
export function errorResponse(err: RegistryError, head = false): RegistryResponse {
  const body = errorBody(err);
  return response(err.status, { ...errorHeaders(err.facts), 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, head ? undefined : body);
}

/** The 500 for anything that is not a RegistryError (a bug or an outage); the caller logs the cause. */
export function internalErrorResponse(head = false): RegistryResponse {
  return errorResponse(new RegistryError('INTERNAL'), head);
}
