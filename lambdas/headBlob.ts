/** HEAD /v2/<name>/blobs/<digest> (200 from the repository's link, no S3 client): see ./README.md. */
import { headBlobOperation } from '../src/core/operations/blobs.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tablePorts } from '../src/shells/lambda/ports/table.js';

export const handler = lambdaHandler(headBlobOperation, { container: registryContainer(tablePorts, repositoryAuth), metrics: emfMetrics });
