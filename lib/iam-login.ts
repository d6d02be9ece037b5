/**
 * IAM login (`stowage login`, prop `iamLogin`): the KMS key that signs the tokens the registry
 * mints for IAM identities, and who may use it.
 *
 * - An asymmetric ECC_NIST_P256 SIGN_VERIFY key (ES256): the private key never leaves KMS. Only
 *   the token Lambda may sign (kms:Sign); the REQUEST authorizer and the upload service, which
 *   verify, may only read the public key (kms:GetPublicKey, once per container). $1 a month
 *   (lib/idle-cost.ts prices AWS::KMS::Key), and a signature per token instead of a Cognito token
 *   per machine login.
 * - The environment (the iamLogin.* settings of src/config/settings.ts) the three read.
 * - Who may log in is the policy prop's `principals.iam` patterns: one policy document.
 * The token Lambda reaches STS over the internet (it runs outside any VPC), so it needs no
 * endpoint; STS itself checks the caller's signature, the registry needs no IAM permission for it.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { settingsEnvironment } from '../src/config/settings.js';

export class IamLogin extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = new kms.Key(this, 'TokenKey', {
      description: 'Stowage: signs the registry tokens of IAM logins (stowage login)',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      // Tokens live minutes, passwords 12 hours: nothing signed outlives the stack by long.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
  }

  /** The settings every component that mints or verifies IAM-login tokens reads. */
  get environment(): Record<string, string> {
    return settingsEnvironment({ 'iamLogin.keyId': this.key.keyArn });
  }

  /** The token Lambda: signs tokens and verifies passwords. */
  grantMint(grantee: iam.IGrantable): void {
    this.key.grant(grantee, 'kms:Sign', 'kms:GetPublicKey');
  }

  /** The authorizer and the upload service: verify only. */
  grantVerify(grantee: iam.IGrantable): void {
    this.key.grant(grantee, 'kms:GetPublicKey');
  }
}
