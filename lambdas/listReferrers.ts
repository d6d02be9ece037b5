/** GET and HEAD /v2/<name>/referrers/<digest>: see ./README.md. */
import { listReferrersOperation } from '../src/core/operations/listings.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tablePorts } from '../src/shells/lambda/ports/table.js';

export const handler = lambdaHandler(listReferrersOperation, { container: registryContainer(tablePorts, repositoryAuth), metrics: emfMetrics });
