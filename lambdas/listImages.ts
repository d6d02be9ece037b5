/** GET /v2/_stowage/images?repository=NAME: see ./README.md. */
import { listImagesOperation } from '../src/core/operations/admin.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tablePorts } from '../src/shells/lambda/ports/table.js';

export const handler = lambdaHandler(listImagesOperation, { container: registryContainer(tablePorts, repositoryAuth), metrics: emfMetrics });
