/** GET and POST /token, the Docker token endpoint on Cognito: see src/shells/lambda/token-handler.ts. */
import { tokenLambdaHandler } from '../src/shells/lambda/token-handler.js';

export const handler = tokenLambdaHandler();
