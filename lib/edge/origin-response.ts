/**
 * Lambda@Edge origin-response handler on the API behaviour: restores the headers API Gateway
 * renamed (see remapped-headers.ts). Lambda@Edge has no environment variables and runs x86_64.
 */
import type { CloudFrontResponseEvent, CloudFrontResponseResult } from 'aws-lambda';
import { restoreRemappedHeaders } from './remapped-headers.js';

export async function handler(event: CloudFrontResponseEvent): Promise<CloudFrontResponseResult> {
  const record = event.Records[0];
  if (!record) throw new Error('origin-response event without a record');
  const { request, response } = record.cf;
  response.headers = restoreRemappedHeaders(request.method, response.headers);
  return response;
}
