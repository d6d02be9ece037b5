/**
 * An example CodeBuild project that builds and pushes to a Stowage registry with `stowage login`
 * (deploy/examples/codebuild-buildspec.yml, the one copy of the build steps): its role has no
 * Cognito secret and no registry permission at all. The registry decides from the role's ARN,
 * which its policy names under principals.iam (codeBuildPushPolicyRule gives the rule).
 * test/cdk/iam-login.test.ts synthesizes it; docs/deploy.md walks through deploying it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { parse } from 'yaml';
import { serverBundleAsset } from '../upload-service-code.js';
import { PACKAGE_ROOT } from '../stowage-registry.js';

export const CODEBUILD_BUILDSPEC_FILE = join(PACKAGE_ROOT, 'deploy', 'examples', 'codebuild-buildspec.yml');

export interface CodeBuildPushProps {
  /** The registry's host (StowageRegistry.registryHost, or the RegistryHost output). */
  readonly registryHost: string;
  /** Repository the build pushes, e.g. `ci/app`. */
  readonly image: string;
  /** The role's name, which the registry policy's principals.iam names. */
  readonly roleName: string;
  readonly source?: codebuild.ISource;
}

/** The policy rule (principals.iam) that lets the project's role push `image`. */
export function codeBuildPushPolicyRule(account: string, roleName: string, image: string): Record<string, unknown> {
  return {
    description: 'CodeBuild pushes with stowage login',
    principals: { iam: [`arn:aws:iam::${account}:role/${roleName}`] },
    repositories: [image],
    actions: ['pull', 'push'],
  };
}

export class CodeBuildPush extends Construct {
  readonly project: codebuild.Project;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: CodeBuildPushProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', { roleName: props.roleName, assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
    // The stowage command as one file: the same bundle the upload service runs.
    const cli = serverBundleAsset(this, 'StowageCli', PACKAGE_ROOT);
    this.project = new codebuild.Project(this, 'Project', {
      role: this.role,
      ...(props.source && { source: props.source }),
      environment: { buildImage: codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0, computeType: codebuild.ComputeType.SMALL, privileged: true },
      environmentVariables: {
        REGISTRY: { value: props.registryHost },
        IMAGE: { value: props.image },
        CLI_BUNDLE_URL: { value: cli.s3ObjectUrl },
      },
      buildSpec: codebuild.BuildSpec.fromObject(parse(readFileSync(CODEBUILD_BUILDSPEC_FILE, 'utf8')) as Record<string, unknown>),
    });
    cli.grantRead(this.role);
  }
}
