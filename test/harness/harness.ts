/**
 * The local harness for the serverless stack: everything between a registry client and the
 * Lambda code, built from the synthesized template (./synth.ts) rather than from a second copy
 * of the routes.
 *
 *   client --> front door (./front-door.ts: CloudFront behaviours, the viewer-request Function,
 *      |        the API key origin header, the Lambda@Edge header restore)
 *      |--> REST API stage (./api-gateway.ts: routing, authorizers, API key, limits, proxy
 *      |        events, header renaming, gateway responses) --> the operations' compiled Lambda
 *      |        entries in worker threads (./lambda-runtime.ts)
 *      \--> /v2/*\/blobs/uploads/* --> load balancer rules --> the upload service
 *               (`stowage serve` with the task definition's environment, ./upload-service.ts)
 *   Lambdas and upload service --> S3 and DynamoDB emulators (fauxqs, dynalite), with the bucket
 *   and table the template declares.
 *
 * `startLambdaHarness()` returns the registry URL (the front door) and the stage's own URL (the
 * execute-api endpoint, which refuses callers without the API key).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StowageRegistryProps } from '../../lib/props.js';
import { handler as originResponseHandler } from '../../lib/edge/origin-response.js';
import { startAwsEmulators, type AwsEmulators } from '../helpers/aws-emulators.js';
import { readApiModel, type ApiModel } from './api-model.js';
import { RestApiGateway } from './api-gateway.js';
import type { AuthorizeOption } from './authorizer.js';
import { resolveString } from './cfn.js';
import { createStackResources } from './emulated-resources.js';
import { FrontDoor } from './front-door.js';
import { readFrontDoorModel, type FrontDoorModel, type UploadServiceModel } from './front-door-model.js';
import { LambdaRuntime, type RuntimeFunctionSpec } from './lambda-runtime.js';
import { localizePublicHost, localNames, type LocalNames } from './local-names.js';
import { synthesizeStack, type SynthesizedStack } from './synth.js';
import { startUploadService, type RunningUploadService } from './upload-service.js';

export interface LambdaHarnessOptions {
  /** The registry's props, as `cdk deploy` would get them. @default {} (upload service on) */
  registry?: StowageRegistryProps;
  /** @default eu-west-1 */
  region?: string;
  /** Authorizers: undefined = placeholder (presence only), 'none' = off, or a hook (./authorizer.ts). */
  authorize?: AuthorizeOption;
  /** Logs and the upload service's data. @default a temp dir, removed on close */
  dataDir?: string;
  /** Front door address. @default 127.0.0.1, a free port */
  host?: string;
  port?: number;
  /** 'files' (lambda.log and upload-service.log in dataDir), 'inherit' or 'silent'. @default 'files' */
  logs?: 'files' | 'inherit' | 'silent';
  /** Emulators to use instead of starting a fresh pair (they are then not stopped on close). */
  emulators?: AwsEmulators;
  /**
   * Variables to set (a string) or remove (null) in every container's environment, Lambda
   * functions and upload service alike, instead of the template's value: emulator endpoints
   * for services the harness does not start (e.g. a Cognito emulator), or turning the code's
   * own authentication off for suites that run without auth.
   */
  environment?: Record<string, string | null>;
  /** Test knobs: shorter integration and origin read timeouts. */
  integrationTimeoutMs?: number;
  originReadTimeoutMs?: number;
}

export interface LambdaHarness {
  /** The registry: the front door, e.g. http://127.0.0.1:41234 */
  url: string;
  /** host:port of the front door, for image references. */
  host: string;
  /** The stage's own URL (execute-api), e.g. http://127.0.0.1:41235/registry */
  apiUrl: string;
  uploadServiceUrl?: string;
  /** The API key CloudFront adds as an origin header. */
  apiKey: string;
  api: ApiModel;
  frontDoorModel: FrontDoorModel;
  frontDoor: FrontDoor;
  gateway: RestApiGateway;
  emulators: AwsEmulators;
  names: LocalNames;
  dataDir: string;
  /** Things that would go wrong on AWS but are let through here (reported on stderr at start). */
  problems: string[];
  /**
   * The template's other functions (the collector, the stream consumer: no API method runs them)
   * by logical id, each container's environment resolved as the API functions' are, plus
   * `environment`; closed with the harness.
   */
  runtimeFor(functionIds: readonly string[], environment?: Record<string, string | null>): LambdaRuntime;
  close(): Promise<void>;
}

const synthCache = new Map<string, SynthesizedStack>();

function synthesized(registry: StowageRegistryProps | undefined, region: string): SynthesizedStack {
  const key = JSON.stringify({ registry: registry ?? {}, region });
  let s = synthCache.get(key);
  if (!s) {
    s = synthesizeStack({ ...(registry && { registry }), region });
    synthCache.set(key, s);
  }
  return s;
}

/** The Lambda runtime's own variables, which every function sees. */
function runtimeEnvironment(region: string, memoryMiB: number): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMiB),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
  };
}

/**
 * A container's environment: the template's variables (overridden or removed by `overrides`,
 * else resolved, the public host localized), then the overrides' other variables.
 */
export function containerEnvironment(
  variables: Record<string, unknown>,
  overrides: Record<string, string | null>,
  resolve: (value: unknown, name: string) => string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(variables)) {
    if (k in overrides) continue;
    env[k] = resolve(v, k);
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== null) env[k] = v;
  return env;
}

function functionSpecs(
  s: SynthesizedStack,
  ids: readonly string[],
  resolve: (value: unknown, where: string) => string,
  overrides: Record<string, string | null>,
): RuntimeFunctionSpec[] {
  return ids.map((id) => {
    const props = s.template.Resources[id]?.Properties ?? {};
    const source = s.functionSource(id);
    const memoryMiB = Number(props.MemorySize ?? 128);
    const variables = { ...(((props.Environment as Record<string, unknown> | undefined)?.Variables ?? {}) as Record<string, unknown>) };
    // NODE_OPTIONS configures the Node.js process, which a worker thread does not start.
    delete variables.NODE_OPTIONS;
    const env = containerEnvironment(variables, overrides, (v, k) => resolve(v, `${id}.Environment.${k}`));
    const handler = String(props.Handler ?? 'index.handler');
    return {
      id,
      module: source.compiledModule,
      exportName: handler.slice(handler.lastIndexOf('.') + 1),
      functionName: `Stowage-${id}`,
      memoryMiB,
      timeoutMs: Number(props.Timeout ?? 3) * 1000,
      env: { ...runtimeEnvironment(s.region, memoryMiB), ...env },
    };
  });
}

export interface StackModels {
  synthesized: SynthesizedStack;
  names: LocalNames;
  api: ApiModel;
  frontDoor: FrontDoorModel;
}

/** The template read into the harness's models, without starting anything (synthesis cached per props). */
export function stackModels(options: Pick<LambdaHarnessOptions, 'registry' | 'region'> = {}): StackModels {
  const region = options.region ?? 'eu-west-1';
  const s = synthesized(options.registry, region);
  const names = localNames(s.template, region);
  const api = readApiModel(s.template, names);
  return { synthesized: s, names, api, frontDoor: readFrontDoorModel(s.template, names, { apiId: api.apiId, region }) };
}

export async function startLambdaHarness(options: LambdaHarnessOptions = {}): Promise<LambdaHarness> {
  const region = options.region ?? 'eu-west-1';
  const { synthesized: s, names, api, frontDoor: frontDoorModel } = stackModels(options);
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'stowage-harness-')));
  await mkdir(dataDir, { recursive: true });
  const logs = options.logs ?? 'files';
  const logTo = (file: string) => (logs === 'files' ? join(dataDir, file) : logs);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
    if (ownDataDir) await rm(dataDir, { recursive: true, force: true });
  };

  try {
    // The front door listens first: the containers' environment names the public host.
    const frontDoor = new FrontDoor({
      model: frontDoorModel,
      originResponse: originResponseHandler as (event: unknown) => Promise<unknown>,
      ...(options.originReadTimeoutMs !== undefined && { originReadTimeoutMs: options.originReadTimeoutMs }),
    });
    const url = await frontDoor.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    cleanups.push(() => frontDoor.close());
    const resolve = (value: unknown, where: string) => localizePublicHost(resolveString(value, names.resolver, where), frontDoor);

    const emulators = options.emulators ?? (await startAwsEmulators());
    if (!options.emulators) cleanups.push(() => emulators.stop());
    await createStackResources(s.template, names, emulators);
    // fauxqs serves path-style URLs only: a local adaptation every container gets.
    const overrides: Record<string, string | null> = { ...emulators.env, AWS_REGION: region, STOWAGE_S3_FORCE_PATH_STYLE: '1', ...options.environment };

    const apiFunctions = [...new Set(api.methods.map((m) => m.functionId))];
    const runtime = new LambdaRuntime(functionSpecs(s, apiFunctions, resolve, overrides), { region, accountId: names.accountId, logs: logTo('lambda.log') });
    cleanups.push(() => runtime.close());
    const runtimeFor = (ids: readonly string[], environment: Record<string, string | null> = {}) => {
      const more = new LambdaRuntime(functionSpecs(s, ids, resolve, { ...overrides, ...environment }), { region, accountId: names.accountId, logs: logTo('lambda.log') });
      cleanups.push(() => more.close());
      return more;
    };

    const uploadOrigins = frontDoorModel.behaviors.map((b) => b.origin).filter((o) => o.kind === 'upload-service');
    const serviceModel: UploadServiceModel | undefined = uploadOrigins[0]?.kind === 'upload-service' ? uploadOrigins[0].service : undefined;
    let upload: RunningUploadService | undefined;
    if (serviceModel) {
      const env = containerEnvironment(serviceModel.environment, overrides, (v, k) => resolve(v, `upload service environment ${k}`));
      let deployed: Record<string, string> | undefined;
      try {
        deployed = containerEnvironment(serviceModel.environment, {}, (v, k) => resolve(v, `upload service environment ${k}`));
      } catch {
        deployed = undefined; // a value only an override supplies: nothing to check
      }
      upload = await startUploadService({ model: serviceModel, deployedEnvironment: deployed, environment: env, dataDir, logs: logTo('upload-service.log') });
      const running = upload;
      cleanups.push(() => running.close());
    }

    const gateway = new RestApiGateway(api, runtime, {
      region,
      accountId: names.accountId,
      ...(options.authorize !== undefined && { authorize: options.authorize }),
      ...(options.integrationTimeoutMs !== undefined && { integrationTimeoutMs: options.integrationTimeoutMs }),
    });
    const stage = await gateway.listen(options.host ?? '127.0.0.1', 0);
    cleanups.push(() => stage.close());
    frontDoor.attach({ gateway, ...(upload && { uploadServiceUrl: upload.url }), s3: { endpoint: emulators.s3Endpoint, buckets: names.buckets } });

    const apiKey =
      frontDoorModel.behaviors
        .map((b) => b.origin)
        .find((o) => o.kind === 'api')
        ?.customHeaders.find(([n]) => n.toLowerCase() === 'x-api-key')?.[1] ?? '';
    const problems = [...(upload?.problems ?? [])];
    if (options.authorize === undefined)
      problems.push('authorizers are PLACEHOLDERS: any non-empty Authorization header passes unverified (pass an `authorize` hook to verify tokens)');
    for (const p of problems) process.stderr.write(`harness: ${p}\n`);

    return {
      url,
      host: new URL(url).host,
      apiUrl: stage.url,
      ...(upload && { uploadServiceUrl: upload.url }),
      apiKey,
      api,
      frontDoorModel,
      frontDoor,
      gateway,
      emulators,
      names,
      dataDir,
      problems,
      runtimeFor,
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
