/** PUT /v2/<name>/manifests/<reference>: see ./README.md. */
import { putManifestOperation } from '../src/core/operations/manifests.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tableAndManifestsPorts } from '../src/shells/lambda/ports/table-and-manifests.js';

export const handler = lambdaHandler(putManifestOperation, { container: registryContainer(tableAndManifestsPorts, repositoryAuth), metrics: emfMetrics });
