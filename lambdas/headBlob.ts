/** HEAD /v2/<name>/blobs/<digest> (307 to S3): see ./README.md. */
import { headBlobOperation } from '../src/core/operations/blobs.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tableAndBlobsPorts } from '../src/shells/lambda/ports/table-and-blobs.js';

export const handler = lambdaHandler(headBlobOperation, { container: registryContainer(tableAndBlobsPorts, repositoryAuth), metrics: emfMetrics });
