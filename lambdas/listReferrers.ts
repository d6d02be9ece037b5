/** GET and HEAD /v2/<name>/referrers/<digest>: see ./README.md. */
import { lambdaHandler } from '../src/shells/lambda/handler.js';

export const handler = lambdaHandler('listReferrers');
