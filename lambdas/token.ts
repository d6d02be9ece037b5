/** GET and POST /token, the Docker token endpoint on Cognito: see src/shells/lambda/token-handler.ts. */
import { tokenOperation } from '../src/core/operations/token.js';
import { lambdaHandler } from '../src/shells/lambda/handler.js';
import { TOKEN_LAMBDA_OPTIONS } from '../src/shells/lambda/token-handler.js';

export const handler = lambdaHandler(tokenOperation, TOKEN_LAMBDA_OPTIONS);
