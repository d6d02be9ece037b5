/** GET /v2/<name>/blobs/uploads/<uuid>: see ./README.md. */
import { getUploadOperation } from '../src/core/operations/uploads.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { tablePorts } from '../src/shells/lambda/ports/table.js';

export const handler = lambdaHandler(getUploadOperation, { ports: tablePorts, auth: repositoryAuth });
