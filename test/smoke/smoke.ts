/**
 * The smoke test for a deployed registry (`npm run smoke -- https://HOST [--user U --password P]`,
 * scripts/smoke.mjs): what only a deployment can confirm, checked with the real clients.
 *
 *   ping     GET /v2/: 200 without auth, or 401 whose WWW-Authenticate is the Bearer challenge
 *            naming this host's /token (on AWS: the gateway response, through CloudFront)
 *   token    with credentials: the realm gives a push token for Basic credentials (Authorization
 *            reaches /token through CloudFront; the token endpoint talks to Cognito)
 *   skopeo   login, push (one PATCH per blob, a layer over the Lambda body limit: the upload
 *            service), inspect, pull back, same digests
 *   head     HEAD of the pushed manifest carries its size as Content-Length (on AWS: API Gateway
 *            renames it, the Lambda@Edge step restores it)
 *   docker   a private dockerd: login, push (a streamed PATCH per layer), rmi, pull, same image
 *   ctr      a private containerd: push (a monolithic PUT per blob), rm, pull, check
 *   stack, cloudfront, tags, events, gc   the deployed stack's checks (test/smoke/stack-checks.ts):
 *            its outputs, the host is its CloudFront distribution, names with a `tags` component,
 *            push and delete events on its bus, a run of its collector (--stack NAME --region R)
 *   iam-login  `stowage login` with the smoker's AWS credentials | docker login, push
 *            (./iam-login-step.ts; skipped when no IAM policy names the caller)
 *
 * Every check prints PASS, FAIL or SKIP with what it saw; a failure does not stop the others.
 * Test images are built locally with umoci (random layers, new digests every run) and pushed to
 * `smoke/<run id>-<client>`; the stack checks push small images under `smoke/<run id>/`. Only
 * the events and gc checks delete (their own image, which needs delete rights); the rest is
 * deleted when --cleanup asks.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startContainerd, type RunningContainerd } from '../helpers/containerd.js';
import { startDockerd, type RunningDockerd } from '../helpers/dockerd.js';
import { run } from '../helpers/exec.js';
import { blobPath, buildTestImage, ociLayoutToDockerArchive, tarOciLayout, type TestImage } from '../helpers/images.js';
import { missingTools } from '../helpers/tools.js';
import { runStackChecks, type StackCheck, type StackCheckOptions } from './stack-checks.js';
import { Skip } from './step.js';
import { iamLoginStep } from './iam-login-step.js';

export type SmokeCheck = 'ping' | 'token' | 'skopeo' | 'head' | 'docker' | 'ctr' | StackCheck | 'iam-login' | 'cleanup';
export type Client = 'skopeo' | 'docker' | 'ctr';

export interface SmokeOptions extends StackCheckOptions {
  /** The registry, e.g. https://d111.cloudfront.net (http:// for a local harness). */
  registry: string;
  user?: string;
  password?: string;
  /** @default all three */
  clients?: Client[];
  /** Delete the pushed manifests at the end. @default false */
  cleanup?: boolean;
  /** Size of the image's big layer: over the Lambda body limit, so it must go through the upload service. @default 6 MiB */
  layerBytes?: number;
  /** Keep the work dir (images, daemon logs). */
  keep?: boolean;
  /** Progress lines. @default none */
  log?: (line: string) => void;
}

export interface SmokeResult {
  check: SmokeCheck;
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  ms: number;
}

interface Challenge {
  realm: string;
  service?: string;
}

function parseChallenge(header: string): Challenge | undefined {
  if (!/^Bearer\s/i.test(header)) return undefined;
  const params = Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]));
  return params.realm ? { realm: params.realm, ...(params.service !== undefined && { service: params.service }) } : undefined;
}

export async function runSmoke(options: SmokeOptions): Promise<SmokeResult[]> {
  const base = new URL(options.registry);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error(`smoke: ${options.registry} is not an http(s) URL`);
  const origin = base.origin;
  const host = base.host;
  const plainHttp = base.protocol === 'http:';
  const creds = options.user !== undefined && options.password !== undefined ? { user: options.user, password: options.password } : undefined;
  const clients = new Set<Client>(options.clients ?? ['skopeo', 'docker', 'ctr']);
  const runId = `${new Date()
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14)}-${randomBytes(3).toString('hex')}`;
  const repo = (client: Client) => `smoke/${runId}-${client}`;
  const log = options.log ?? (() => {});
  const results: SmokeResult[] = [];
  const work = await mkdtemp(join(tmpdir(), 'stowage-smoke-'));
  let challenge: Challenge | undefined;
  let authRequired = false;
  const pushed: { repo: string; digest: string }[] = [];

  const check = async (name: SmokeCheck, fn: () => Promise<string>) => {
    const started = Date.now();
    log(`${name}...`);
    try {
      const detail = await fn();
      results.push({ check: name, status: 'pass', detail, ms: Date.now() - started });
    } catch (err) {
      const skip = err instanceof Skip;
      const message = err instanceof Error ? err.message : String(err);
      results.push({ check: name, status: skip ? 'skip' : 'fail', detail: skip ? message : message.split('\n').slice(0, 12).join('\n'), ms: Date.now() - started });
    }
  };

  /** A bearer token for `scope` from the realm (Basic credentials), or undefined without auth. */
  const tokenFor = async (scope: string): Promise<string | undefined> => {
    if (!authRequired) return undefined;
    if (!challenge || !creds) throw new Skip('the registry wants a token: give --user and --password');
    const url = new URL(challenge.realm);
    if (challenge.service) url.searchParams.set('service', challenge.service);
    url.searchParams.set('scope', scope);
    const res = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}` }, signal: AbortSignal.timeout(30_000) });
    const body = await res.text();
    if (res.status !== 200) throw new Error(`GET ${url.origin}${url.pathname} -> ${res.status}: ${body.slice(0, 300)}`);
    const parsed = JSON.parse(body) as { token?: string; access_token?: string };
    const token = parsed.token ?? parsed.access_token;
    if (!token) throw new Error(`the token endpoint answered 200 without a token: ${body.slice(0, 200)}`);
    return token;
  };

  try {
    await check('ping', async () => {
      const res = await fetch(`${origin}/v2/`, { signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      if (res.status === 200) return 'GET /v2/ -> 200 (no authentication asked)';
      if (res.status !== 401) throw new Error(`GET /v2/ -> ${res.status}, expected 200 or 401`);
      authRequired = true;
      const header = res.headers.get('www-authenticate');
      if (!header) {
        const renamed = res.headers.get('x-amzn-remapped-www-authenticate');
        throw new Error(
          renamed
            ? `401 without WWW-Authenticate, but x-amzn-Remapped-WWW-Authenticate: ${renamed} (the header restore did not run)`
            : '401 without WWW-Authenticate: docker cannot learn the realm',
        );
      }
      challenge = parseChallenge(header);
      if (!challenge) throw new Error(`401 with a challenge that is not Bearer realm=...: ${header}`);
      const realm = new URL(challenge.realm);
      if (realm.host !== host) throw new Error(`the realm ${challenge.realm} is not on ${host} (clients would send credentials elsewhere)`);
      return `GET /v2/ -> 401, ${header}`;
    });

    await check('token', async () => {
      if (!authRequired) throw new Skip('the registry asks for no authentication');
      if (!creds) throw new Skip('no --user/--password');
      await tokenFor(`repository:${repo('skopeo')}:pull,push`);
      return `${challenge!.realm} gave a push token for ${creds.user}`;
    });

    let image: TestImage | undefined;
    const needImage = async (): Promise<TestImage> => {
      const missing = missingTools('umoci', 'skopeo');
      if (missing.length > 0) throw new Skip(`missing ${missing.join(', ')} (needed to build the test image)`);
      image ??= await buildTestImage(join(work, 'image'), { layers: 2, layerSizeBytes: options.layerBytes ?? 6 * 1024 * 1024, tag: 'v1' });
      return image;
    };

    await check('skopeo', async () => {
      if (!clients.has('skopeo')) throw new Skip('not asked for');
      if (missingTools('skopeo').length > 0) throw new Skip('skopeo is not installed');
      const img = await needImage();
      const tls = `--dest-tls-verify=${plainHttp ? 'false' : 'true'}`;
      const authfile = join(work, 'skopeo-auth.json');
      const steps: string[] = [];
      if (creds) {
        await run('skopeo', ['login', '--authfile', authfile, `--tls-verify=${!plainHttp}`, '--username', creds.user, '--password-stdin', host], {
          input: creds.password,
          timeoutMs: 60_000,
        });
        steps.push('login');
      }
      const auth = creds ? ['--authfile', authfile] : [];
      const ref = `docker://${host}/${repo('skopeo')}:v1`;
      await run('skopeo', ['copy', '--quiet', ...auth, tls, `oci:${img.layoutDir}:v1`, ref], { timeoutMs: 600_000 });
      pushed.push({ repo: repo('skopeo'), digest: img.manifestDigest });
      steps.push('push');
      const raw = (await run('skopeo', ['inspect', '--raw', ...auth, `--tls-verify=${!plainHttp}`, ref], { timeoutMs: 60_000 })).stdout;
      const manifest = JSON.parse(raw) as { layers: { digest: string }[] };
      if (manifest.layers.map((l) => l.digest).join() !== img.layerDigests.join()) throw new Error(`inspect shows other layers than were pushed: ${raw.slice(0, 300)}`);
      steps.push('inspect');
      const back = join(work, 'skopeo-pulled');
      await run('skopeo', ['copy', '--quiet', ...auth, `--src-tls-verify=${!plainHttp}`, ref, `oci:${back}:v1`], { timeoutMs: 600_000 });
      for (const d of img.layerDigests) {
        const [a, b] = await Promise.all([readFile(blobPath(back, d)), readFile(blobPath(img.layoutDir, d))]);
        if (!a.equals(b)) throw new Error(`layer ${d} came back different`);
      }
      steps.push('pull (layers byte for byte)');
      return `${steps.join(', ')}: ${host}/${repo('skopeo')}:v1`;
    });

    await check('head', async () => {
      const img = await needImage();
      if (!pushed.some((p) => p.repo === repo('skopeo'))) throw new Skip('nothing was pushed by skopeo');
      const token = await tokenFor(`repository:${repo('skopeo')}:pull`);
      const res = await fetch(`${origin}/v2/${repo('skopeo')}/manifests/v1`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json', ...(token && { authorization: `Bearer ${token}` }) },
        signal: AbortSignal.timeout(30_000),
      });
      if (res.status !== 200) throw new Error(`HEAD manifest -> ${res.status}`);
      const length = res.headers.get('content-length');
      if (length !== String(img.manifestBytes.length)) {
        throw new Error(
          `HEAD manifest Content-Length ${length ?? '(none)'}, expected ${img.manifestBytes.length}${res.headers.get('x-amzn-remapped-content-length') ? ' (x-amzn-Remapped-Content-Length is there: the restore did not run)' : ''}`,
        );
      }
      if (res.headers.get('docker-content-digest') !== img.manifestDigest)
        throw new Error(`Docker-Content-Digest ${res.headers.get('docker-content-digest')}, expected ${img.manifestDigest}`);
      return `HEAD manifest -> 200, Content-Length ${length}, Docker-Content-Digest matches`;
    });

    await check('docker', async () => {
      if (!clients.has('docker')) throw new Skip('not asked for');
      const missing = missingTools('dockerd', 'docker');
      if (missing.length > 0) throw new Skip(`missing ${missing.join(', ')}`);
      if (process.getuid?.() !== 0) throw new Skip('a private dockerd needs root');
      const img = await needImage();
      const archive = join(work, 'image.docker.tar');
      await ociLayoutToDockerArchive(img.layoutDir, 'v1', archive, 'smoke/src:v1');
      let dockerd: RunningDockerd | undefined;
      try {
        dockerd = await startDockerd(join(work, 'dockerd'));
        const docker = (args: string[], input?: string) => dockerd!.docker(args, { timeoutMs: 600_000, ...(input !== undefined && { input }) });
        const steps: string[] = [];
        if (creds) {
          await docker(['login', '--username', creds.user, '--password-stdin', host], creds.password);
          steps.push('login');
        }
        const ref = `${host}/${repo('docker')}:v1`;
        await docker(['load', '-i', archive]);
        await docker(['tag', 'smoke/src:v1', ref]);
        const out = (await docker(['push', ref])).stdout;
        const digest = /v1: digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
        if (!digest) throw new Error(`docker push printed no digest:\n${out}`);
        pushed.push({ repo: repo('docker'), digest });
        steps.push('push');
        await docker(['rmi', 'smoke/src:v1', ref]);
        await docker(['pull', ref]);
        const id = (await docker(['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim();
        if (id !== img.configDigest) throw new Error(`the pulled image is ${id}, not ${img.configDigest}`);
        steps.push('rmi, pull (same image id)');
        return `${steps.join(', ')}: ${ref}@${digest}`;
      } finally {
        await dockerd?.stop();
      }
    });

    await check('ctr', async () => {
      if (!clients.has('ctr')) throw new Skip('not asked for');
      const missing = missingTools('containerd', 'ctr', 'tar');
      if (missing.length > 0) throw new Skip(`missing ${missing.join(', ')}`);
      if (process.getuid?.() !== 0) throw new Skip('a private containerd needs root');
      const img = await needImage();
      const tarball = join(work, 'image.oci.tar');
      await tarOciLayout(img.layoutDir, tarball);
      let containerd: RunningContainerd | undefined;
      try {
        containerd = await startContainerd(join(work, 'containerd'));
        const ctr = (args: string[]) => containerd!.ctr(args, { timeoutMs: 600_000 });
        const remote = [...(plainHttp ? ['--plain-http'] : []), ...(creds ? ['--user', `${creds.user}:${creds.password}`] : [])];
        const ref = `${host}/${repo('ctr')}:v1`;
        await ctr(['images', 'import', '--index-name', ref, tarball]);
        await ctr(['images', 'push', ...remote, ref]);
        pushed.push({ repo: repo('ctr'), digest: img.manifestDigest });
        await ctr(['images', 'rm', '--sync', ref]);
        await ctr(['images', 'pull', ...remote, ref]);
        const checked = (await ctr(['images', 'check', `name==${ref}`])).stdout;
        if (!/complete/.test(checked)) throw new Error(`ctr images check:\n${checked}`);
        return `push, rm, pull, check complete: ${ref}`;
      } finally {
        await containerd?.stop();
      }
    });

    await runStackChecks({ registry: options.registry, runId, credentials: creds, credentialsMissing: () => authRequired && !creds, check, pushed, log }, options);

    await check('iam-login', async () => {
      if (!authRequired) throw new Skip('the registry asks for no authentication');
      const r = await iamLoginStep({ origin, host, plainHttp, repo: `smoke/${runId}-iam`, work, image: needImage });
      if ('skip' in r) throw new Skip(r.skip);
      return r.detail;
    });

    await check('cleanup', async () => {
      if (!options.cleanup) throw new Skip('not asked for (--cleanup)');
      const done: string[] = [];
      for (const p of pushed) {
        const token = await tokenFor(`repository:${p.repo}:delete`);
        const res = await fetch(`${origin}/v2/${p.repo}/manifests/${p.digest}`, {
          method: 'DELETE',
          headers: token ? { authorization: `Bearer ${token}` } : {},
          signal: AbortSignal.timeout(30_000),
        });
        await res.arrayBuffer();
        if (res.status !== 202) throw new Error(`DELETE ${p.repo}@${p.digest} -> ${res.status}`);
        done.push(p.repo);
      }
      return `deleted ${done.join(', ') || 'nothing'}`;
    });
  } finally {
    if (!options.keep) await rm(work, { recursive: true, force: true });
    else log(`work dir kept: ${work}`);
  }
  return results;
}

/** The summary scripts/smoke.mjs prints. */
export function formatResults(registry: string, results: readonly SmokeResult[]): string {
  const lines = [`stowage smoke test against ${registry}`];
  for (const r of results) {
    const [first, ...rest] = r.detail.split('\n');
    lines.push(`  ${r.status.toUpperCase().padEnd(4)}  ${r.check.padEnd(10)}  ${first} (${(r.ms / 1000).toFixed(1)} s)`);
    for (const more of rest) lines.push(`                    ${more}`);
  }
  const count = (s: SmokeResult['status']) => results.filter((r) => r.status === s).length;
  lines.push(`${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped`);
  return lines.join('\n');
}
