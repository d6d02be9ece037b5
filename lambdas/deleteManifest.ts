/** DELETE /v2/<name>/manifests/<reference>: see ./README.md. */
import { deleteManifestOperation } from '../src/core/operations/manifests.js';
import { repositoryAuth } from '../src/shells/lambda/auth/repository.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { tableAndManifestsPorts } from '../src/shells/lambda/ports/table-and-manifests.js';

export const handler = lambdaHandler(deleteManifestOperation, { ports: tableAndManifestsPorts, auth: repositoryAuth });
