/** DELETE /v2/_stowage/repositories?name=NAME: see ./README.md. */
import { deleteRepositoryOperation } from '../src/core/operations/admin.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { registryContainer } from '../src/shells/lambda/registry-container.js';
import { emfMetrics } from '../src/shells/observe-emf.js';
import { tableAndManifestsPorts } from '../src/shells/lambda/ports/table-and-manifests.js';

export const handler = lambdaHandler(deleteRepositoryOperation, { container: registryContainer(tableAndManifestsPorts, repositoryAuth), metrics: emfMetrics });
