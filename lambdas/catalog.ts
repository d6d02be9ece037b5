/** GET and HEAD /v2/_catalog: see ./README.md. */
import { lambdaHandler } from '../src/shells/lambda/handler.js';

export const handler = lambdaHandler('catalog');
