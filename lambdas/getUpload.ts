/** GET /v2/<name>/blobs/uploads/<uuid>: see ./README.md. */
import { getUploadOperation } from '../src/core/operations/uploads.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tablePorts } from '../src/shells/lambda/ports/table.js';

export const handler = lambdaHandler(getUploadOperation, { container: registryContainer(tablePorts, repositoryAuth), metrics: emfMetrics });
