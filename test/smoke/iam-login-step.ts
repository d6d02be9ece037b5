/**
 * The smoke test's IAM login step (issue 14, item 5): `stowage login` with the smoker's own AWS
 * credentials (the real CLI, bin/stowage.js, in a child process), then `docker login --username
 * AWS --password-stdin` with what it printed and a push (skopeo when no private dockerd can run).
 *
 * Skipped, with the reason on its line, when the registry has no IAM login (501: iamLogin off,
 * or the embedded server), when no policy rule names the smoker's identity (so a smoke run with
 * someone else's credentials does not fail for want of a policy entry), or without AWS
 * credentials. Any other refusal is a failure.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDockerd, type RunningDockerd } from '../helpers/dockerd.js';
import { run } from '../helpers/exec.js';
import { ociLayoutToDockerArchive, type TestImage } from '../helpers/images.js';
import { missingTools } from '../helpers/tools.js';

export interface IamLoginStepInput {
  origin: string;
  host: string;
  plainHttp: boolean;
  /** Repository to push to (`smoke/<run id>-iam`). */
  repo: string;
  work: string;
  image: () => Promise<TestImage>;
}

export type IamLoginStepResult = { skip: string } | { detail: string; pushed?: { repo: string; digest: string } };

const STOWAGE = resolve(fileURLToPath(new URL('../../../bin/stowage.js', import.meta.url)));

/** Why `stowage login`'s refusal means "skip" rather than "fail", or null. */
function skipReason(message: string): string | null {
  if (/\(501\)/.test(message)) return `the registry offers no IAM login (deploy with iamLogin on): ${message}`;
  if (/no policy rule names (\S+)/.test(message))
    return `no IAM policy is configured for the caller: ${/no policy rule names (\S+)/.exec(message)![1]} (name it under a rule's principals.iam to run this step)`;
  if (/Could not load credentials|CredentialsProviderError|Unable to locate credentials/i.test(message)) return `no AWS credentials for stowage login: ${message.split('\n')[0]}`;
  return null;
}

export async function iamLoginStep(input: IamLoginStepInput): Promise<IamLoginStepResult> {
  let password: string;
  try {
    password = (await run(process.execPath, [STOWAGE, 'login', '--registry', input.origin], { timeoutMs: 60_000 })).stdout.trim();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const reason = skipReason(message);
    if (reason) return { skip: reason };
    throw err;
  }
  if (!password) throw new Error('stowage login printed no password');
  const img = await input.image();
  const ref = `${input.host}/${input.repo}:v1`;

  if (missingTools('dockerd', 'docker').length === 0 && process.getuid?.() === 0) {
    const archive = join(input.work, 'image-iam.docker.tar');
    await ociLayoutToDockerArchive(img.layoutDir, 'v1', archive, 'smoke/iam-src:v1');
    let dockerd: RunningDockerd | undefined;
    try {
      dockerd = await startDockerd(join(input.work, 'dockerd-iam'));
      const docker = (args: string[], stdin?: string) => dockerd!.docker(args, { timeoutMs: 600_000, ...(stdin !== undefined && { input: stdin }) });
      await docker(['login', '--username', 'AWS', '--password-stdin', input.host], password);
      await docker(['load', '-i', archive]);
      await docker(['tag', 'smoke/iam-src:v1', ref]);
      const out = (await docker(['push', ref])).stdout;
      const digest = /v1: digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
      if (!digest) throw new Error(`docker push printed no digest:\n${out}`);
      return { detail: `stowage login | docker login --username AWS, push: ${ref}@${digest}`, pushed: { repo: input.repo, digest } };
    } finally {
      await dockerd?.stop();
    }
  }
  if (missingTools('skopeo').length > 0) return { skip: 'stowage login passed, but neither a private dockerd (root) nor skopeo is here to push with it' };
  const authfile = join(input.work, 'skopeo-iam-auth.json');
  await run('skopeo', ['login', '--authfile', authfile, `--tls-verify=${!input.plainHttp}`, '--username', 'AWS', '--password-stdin', input.host], {
    input: password,
    timeoutMs: 60_000,
  });
  await run('skopeo', ['copy', '--quiet', '--authfile', authfile, `--dest-tls-verify=${!input.plainHttp}`, `oci:${img.layoutDir}:v1`, `docker://${ref}`], { timeoutMs: 600_000 });
  return { detail: `stowage login | skopeo login --username AWS (no private dockerd here), push: ${ref}`, pushed: { repo: input.repo, digest: img.manifestDigest } };
}
