/** GET /v2/<name>/blobs/uploads/<uuid>: see ./README.md. */
import { lambdaHandler } from '../src/shells/lambda/handler.js';

export const handler = lambdaHandler('getUpload');
