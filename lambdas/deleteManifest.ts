/** DELETE /v2/<name>/manifests/<reference>: see ./README.md. */
import { lambdaHandler } from '../src/shells/lambda/handler.js';

export const handler = lambdaHandler('deleteManifest');
