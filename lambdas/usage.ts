/** GET /v2/_stowage/usage: see ./README.md. */
import { usageOperation } from '../src/core/operations/admin.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tablePorts } from '../src/shells/lambda/ports/table.js';

export const handler = lambdaHandler(usageOperation, { container: registryContainer(tablePorts, repositoryAuth), metrics: emfMetrics });
