/** HEAD /v2/<name>/blobs/<digest> (307 to S3): see ./README.md. */
import { lambdaHandler } from '../src/shells/lambda/handler.js';

export const handler = lambdaHandler('headBlob');
