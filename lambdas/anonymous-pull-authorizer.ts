/** The REQUEST authorizer on pull methods with anonymous pull on: see src/shells/lambda/anonymous-pull-authorizer.ts. */
import { anonymousPullAuthorizerHandler } from '../src/shells/lambda/anonymous-pull-authorizer.js';

export const handler = anonymousPullAuthorizerHandler();
