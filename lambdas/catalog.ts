/** GET and HEAD /v2/_catalog: see ./README.md. */
import { catalogOperation } from '../src/core/operations/listings.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tablePorts } from '../src/shells/lambda/ports/table.js';

export const handler = lambdaHandler(catalogOperation, { container: registryContainer(tablePorts, repositoryAuth), metrics: emfMetrics });
