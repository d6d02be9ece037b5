/** GET and HEAD /v2/<name>/tags/list: see ./README.md. */
import { listTagsOperation } from '../src/core/operations/listings.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tablePorts } from '../src/shells/lambda/ports/table.js';

export const handler = lambdaHandler(listTagsOperation, { container: registryContainer(tablePorts, repositoryAuth), metrics: emfMetrics });
