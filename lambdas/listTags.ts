/** GET and HEAD /v2/<name>/tags/list: see ./README.md. */
import { lambdaHandler } from '../src/shells/lambda/handler.js';

export const handler = lambdaHandler('listTags');
