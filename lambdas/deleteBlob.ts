/** DELETE /v2/<name>/blobs/<digest>: see ./README.md. */
import { deleteBlobOperation } from '../src/core/operations/blobs.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tablePorts } from '../src/shells/lambda/ports/table.js';

export const handler = lambdaHandler(deleteBlobOperation, { container: registryContainer(tablePorts, repositoryAuth), metrics: emfMetrics });
