/** DELETE /v2/<name>/blobs/<digest>: see ./README.md. */
import { lambdaHandler } from '../src/shells/lambda/handler.js';

export const handler = lambdaHandler('deleteBlob');
