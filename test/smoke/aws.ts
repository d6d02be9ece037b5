/**
 * The smoke test's AWS calls: the stack's outputs (CloudFormation DescribeStacks through
 * src/cli/aws-query.ts), SQS in its JSON protocol and Lambda's Invoke, each a SigV4-signed fetch
 * (the project carries no SQS or Lambda client and the smoke makes a handful of calls), and
 * EventBridge through the SDK client the project already has. Credentials come from the SDK's
 * default chain. Endpoints follow the SDK's own override variables (AWS_ENDPOINT_URL_<SERVICE>,
 * then AWS_ENDPOINT_URL), which is how the tests point the smoke at local stand-ins.
 */
import { type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { queryClient, xmlText } from '../../src/cli/aws-query.js';

type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/** An AWS error answer: the service's error code and message. */
export class AwsCallError extends Error {
  constructor(
    readonly service: string,
    readonly action: string,
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${service} ${action} -> ${status} ${code}: ${message}`);
  }
}

/** The endpoint of a service: AWS_ENDPOINT_URL_<ID>, else AWS_ENDPOINT_URL, else the regional AWS one. */
export function endpointOf(serviceId: 'SQS' | 'LAMBDA' | 'CLOUDFORMATION', host: string, region: string, env: NodeJS.ProcessEnv = process.env): string {
  return env[`AWS_ENDPOINT_URL_${serviceId}`] ?? env.AWS_ENDPOINT_URL ?? `https://${host}.${region}.amazonaws.com`;
}

export interface LambdaInvocation {
  status: number;
  /** X-Amz-Function-Error: `Unhandled` when the function threw (the payload then holds errorMessage). */
  functionError?: string;
  payload: string;
}

export interface SmokeAws {
  readonly region: string;
  /** The stack's outputs by key; throws when the stack cannot be read or is not deployed. */
  stackOutputs(stackName: string): Promise<Record<string, string>>;
  /** One SQS action (JSON protocol): its answer, or an AwsCallError. */
  sqs(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** A synchronous (RequestResponse) invocation. */
  invoke(functionName: string, payload: unknown, timeoutMs: number): Promise<LambdaInvocation>;
  readonly eventBridge: EventBridgeClient;
}

export interface SmokeAwsOptions {
  region: string;
  /** @default the SDK's default chain */
  credentials?: Credentials;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

interface SignedRequest {
  service: string;
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string;
  signal?: AbortSignal;
}

export function smokeAws(options: SmokeAwsOptions): SmokeAws {
  const { region } = options;
  const env = options.env ?? process.env;
  const credentials = options.credentials ?? defaultProvider();
  const sign = async (r: SignedRequest): Promise<Record<string, string>> => {
    const signer = new SignatureV4({ service: r.service, region, credentials, sha256: Hash.bind(null, 'sha256') });
    const signed = await signer.sign({
      method: r.method,
      protocol: r.url.protocol,
      hostname: r.url.hostname,
      ...(r.url.port && { port: Number(r.url.port) }),
      path: r.url.pathname,
      query: {},
      headers: { ...r.headers, host: r.url.host },
      body: r.body,
    });
    return signed.headers as Record<string, string>;
  };
  const send = async (r: SignedRequest): Promise<Response> => fetch(r.url, { method: r.method, headers: await sign(r), body: r.body, ...(r.signal && { signal: r.signal }) });
  // fetch gives up on an answer whose headers take over 5 minutes (undici's headersTimeout), and
  // a synchronous invocation answers only when the function returns (the collector: up to 15).
  const sendSlow = async (r: SignedRequest, timeoutMs: number): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> => {
    const headers = await sign(r);
    const request = r.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(r.url, { method: r.method, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
      req.on('error', reject);
      req.end(r.body);
    });
  };
  const cloudformationEndpoint = env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? env.AWS_ENDPOINT_URL;
  const eventBridgeEndpoint = env.AWS_ENDPOINT_URL_EVENTBRIDGE ?? env.AWS_ENDPOINT_URL;
  const query = queryClient({ region, credentials, ...(cloudformationEndpoint && { endpoint: cloudformationEndpoint }) });

  return {
    region,
    async stackOutputs(stackName) {
      const answer = await query('cloudformation', 'DescribeStacks', { StackName: stackName });
      if (answer.status !== 200)
        throw new AwsCallError(
          'cloudformation',
          'DescribeStacks',
          answer.status,
          xmlText(answer.body, 'Code') ?? '?',
          xmlText(answer.body, 'Message') ?? answer.body.slice(0, 200),
        );
      const status = xmlText(answer.body, 'StackStatus') ?? '?';
      if (!/_COMPLETE$/.test(status) || /^(DELETE_|ROLLBACK_COMPLETE$)/.test(status)) throw new Error(`stack ${stackName} is ${status}`);
      const outputs: Record<string, string> = {};
      const section = /<Outputs>([\s\S]*?)<\/Outputs>/.exec(answer.body)?.[1] ?? '';
      for (const m of section.matchAll(/<member>([\s\S]*?)<\/member>/g)) {
        const key = xmlText(m[1] as string, 'OutputKey');
        const value = xmlText(m[1] as string, 'OutputValue');
        if (key !== undefined && value !== undefined) outputs[key] = value;
      }
      return outputs;
    },
    async sqs(action, input) {
      const res = await send({
        service: 'sqs',
        url: new URL('/', endpointOf('SQS', 'sqs', region, env)),
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
        body: JSON.stringify(input),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
      if (res.status !== 200) {
        const code = String(body.__type ?? '?').replace(/^.*#/, '');
        throw new AwsCallError('sqs', action, res.status, code, String(body.message ?? body.Message ?? text.slice(0, 200)));
      }
      return body;
    },
    async invoke(functionName, payload, timeoutMs) {
      const res = await sendSlow(
        {
          service: 'lambda',
          url: new URL(`/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, endpointOf('LAMBDA', 'lambda', region, env)),
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
          body: JSON.stringify(payload),
        },
        timeoutMs,
      );
      const functionError = res.headers['x-amz-function-error'];
      return { status: res.status, ...(typeof functionError === 'string' && { functionError }), payload: res.text };
    },
    eventBridge: new EventBridgeClient({ region, credentials, ...(eventBridgeEndpoint && { endpoint: eventBridgeEndpoint }) }),
  };
}
