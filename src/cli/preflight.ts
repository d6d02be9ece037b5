/**
 * `npm run preflight`: reads the AWS account a `cdk deploy` would go to and says what is missing
 * before CloudFormation finds out halfway through a deployment.
 *
 * - credentials: STS GetCallerIdentity (which account and principal);
 * - the ECS service-linked role (AWSServiceRoleForECS): a fresh account lacks it until ECS is
 *   first used, and creating the cluster then fails. The stack does not create it, because
 *   AWS::IAM::ServiceLinkedRole fails where the role exists (it is per account, not per stack);
 * - the CDK bootstrap stack (CDKToolkit) in the stack's region and, when that is not us-east-1,
 *   in us-east-1 too: the Lambda@Edge function deploys there.
 *
 * Each check is one Query call through `QueryCall`, the boundary the tests stub.
 */
import { type QueryCall, xmlText } from './aws-query.js';

export const ECS_SERVICE_LINKED_ROLE = 'AWSServiceRoleForECS';
export const BOOTSTRAP_STACK = 'CDKToolkit';

export interface PreflightFinding {
  readonly check: string;
  readonly ok: boolean;
  /** What was found, or what to do. */
  readonly detail: string;
}

export async function preflight(call: QueryCall, region: string): Promise<PreflightFinding[]> {
  const findings: PreflightFinding[] = [];
  const identity = await call('sts', 'GetCallerIdentity');
  if (identity.status !== 200) {
    findings.push({
      check: 'AWS credentials',
      ok: false,
      detail: `STS GetCallerIdentity answered ${identity.status} (${errorCode(identity.body)}): configure credentials (aws configure, aws sso login, AWS_PROFILE) and run again`,
    });
    return findings;
  }
  const account = xmlText(identity.body, 'Account') ?? '?';
  findings.push({ check: 'AWS credentials', ok: true, detail: `account ${account} as ${xmlText(identity.body, 'Arn') ?? '?'}` });

  const role = await call('iam', 'GetRole', { RoleName: ECS_SERVICE_LINKED_ROLE });
  if (role.status === 200) findings.push({ check: 'ECS service-linked role', ok: true, detail: `${ECS_SERVICE_LINKED_ROLE} exists` });
  else if (errorCode(role.body) === 'NoSuchEntity')
    findings.push({
      check: 'ECS service-linked role',
      ok: false,
      detail: `${ECS_SERVICE_LINKED_ROLE} is missing (a fresh account has none until ECS is used): aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com`,
    });
  else findings.push({ check: 'ECS service-linked role', ok: false, detail: `cannot read it (${errorCode(role.body)}): allow iam:GetRole, or check in the IAM console` });

  for (const r of region === 'us-east-1' ? [region] : [region, 'us-east-1']) {
    const stack = await call('cloudformation', 'DescribeStacks', { StackName: BOOTSTRAP_STACK }, r);
    const status = stack.status === 200 ? xmlText(stack.body, 'StackStatus') : undefined;
    const why = r === region ? 'the stack' : 'the Lambda@Edge function';
    const fix = `npx cdk bootstrap aws://${account}/${r}`;
    if (status && /_COMPLETE$/.test(status) && !/ROLLBACK|DELETE/.test(status)) {
      findings.push({ check: `CDK bootstrap in ${r}`, ok: true, detail: `${BOOTSTRAP_STACK} ${status} (${why})` });
    } else if (status) {
      findings.push({ check: `CDK bootstrap in ${r}`, ok: false, detail: `${BOOTSTRAP_STACK} is ${status}; fix or delete it, then: ${fix}` });
    } else if (/does not exist/.test(stack.body)) {
      findings.push({ check: `CDK bootstrap in ${r}`, ok: false, detail: `missing (${why} deploys here): ${fix}` });
    } else {
      findings.push({ check: `CDK bootstrap in ${r}`, ok: false, detail: `cannot read ${BOOTSTRAP_STACK} (${errorCode(stack.body)}): allow cloudformation:DescribeStacks` });
    }
  }
  return findings;
}

/** The lines the command prints, and its exit code (1 when anything is missing). */
export function preflightReport(findings: readonly PreflightFinding[]): { text: string; exitCode: number } {
  const lines = findings.map((f) => `${f.ok ? 'ok     ' : 'MISSING'} ${f.check}: ${f.detail}`);
  const missing = findings.filter((f) => !f.ok).length;
  lines.push(missing === 0 ? 'Ready to deploy: npm run deploy' : `${missing} thing(s) to fix before npm run deploy`);
  return { text: `${lines.join('\n')}\n`, exitCode: missing === 0 ? 0 : 1 };
}

function errorCode(xml: string): string {
  return xmlText(xml, 'Code') ?? 'no error code';
}
