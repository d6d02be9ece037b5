/** POST /v2/<name>/blobs/uploads/: see ./README.md. */
import { lambdaHandler } from '../src/shells/lambda/handler.js';

export const handler = lambdaHandler('startUpload');
