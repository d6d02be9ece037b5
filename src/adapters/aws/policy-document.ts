/**
 * The policy on AWS travels with the deployment: the stack validates the policy file at synth
 * and puts the document into each function's (and the upload service's) environment as the
 * policyDocument setting (compact JSON).
 *
 * Not an SSM parameter: every cold start of every function would call SSM (latency, IAM, and
 * SSM's request rate shared across the account), and a change would reach containers only as
 * they recycle, so two containers could decide differently for minutes. A redeploy changes it
 * everywhere at once. Lambda allows 4 KB of environment per function, which bounds the
 * policy's size (the stack checks it: lib/props.ts).
 */
import { parsePolicyDocumentText, Policy } from '../../core/auth/policy.js';
import { SETTINGS } from '../../config/settings.js';

export const POLICY_DOCUMENT_ENV = SETTINGS.policyDocument.env;

/** The policy in the policyDocument variable (JSON: the stack writes it so), or the default: every authenticated principal may do everything. */
export function policyFromEnv(env: NodeJS.ProcessEnv = process.env): Policy {
  const text = env[POLICY_DOCUMENT_ENV];
  return text ? parsePolicyDocumentText(text, POLICY_DOCUMENT_ENV) : Policy.allowAuthenticated();
}
