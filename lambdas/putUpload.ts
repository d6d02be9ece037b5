/** PUT /v2/<name>/blobs/uploads/<uuid>: see ./README.md. */
import { putUploadOperation } from '../src/core/operations/uploads.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tableAndBlobsPorts } from '../src/shells/lambda/ports/table-and-blobs.js';

export const handler = lambdaHandler(putUploadOperation, { container: registryContainer(tableAndBlobsPorts, repositoryAuth), metrics: emfMetrics });
