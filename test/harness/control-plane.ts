/**
 * The two AWS APIs the smoke test calls about a deployed stack, answered from the harness's own
 * stack: CloudFormation DescribeStacks (Query protocol: the template's Outputs, resolved as the
 * harness resolves everything else) and Lambda Invoke (REST: a RequestResponse invocation of one
 * of the template's functions by name, run in a LambdaRuntime, with Lambda's answer shape: 200
 * and X-Amz-Function-Error for a function that threw or timed out, 404 for an unknown name).
 * Signatures are not checked.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { LambdaRuntime } from './lambda-runtime.js';

export interface ControlPlaneOptions {
  stackName: string;
  /** The stack's outputs, resolved. */
  outputs: Record<string, string>;
  /** Function name (what the outputs give) -> logical id in `runtime`. */
  functions: Record<string, string>;
  runtime: LambdaRuntime;
}

export interface ControlPlane {
  url: string;
  /** Function names invoked, in order. */
  invocations: string[];
  close(): Promise<void>;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const invocations: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://control-plane');
      const invoke = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
      if (invoke) {
        const name = decodeURIComponent(invoke[1] as string);
        const id = options.functions[name];
        if (!id) {
          res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
          res.end(JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }));
          return;
        }
        invocations.push(name);
        const outcome = await options.runtime.invoke(id, body || '{}', randomUUID());
        if (outcome.kind === 'result') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(outcome.payload);
        } else {
          const error =
            outcome.kind === 'timeout'
              ? { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out' }
              : { errorType: outcome.errorType, errorMessage: outcome.errorMessage, trace: outcome.stack?.split('\n') ?? [] };
          res.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
          res.end(JSON.stringify(error));
        }
        return;
      }
      const params = new URLSearchParams(body);
      if (req.method === 'POST' && url.pathname === '/' && params.get('Action') === 'DescribeStacks') {
        if (params.get('StackName') !== options.stackName) {
          res.writeHead(400, { 'content-type': 'text/xml' });
          res.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${xml(String(params.get('StackName')))} does not exist</Message></Error></ErrorResponse>`,
          );
          return;
        }
        const outputs = Object.entries(options.outputs)
          .map(([k, v]) => `<member><OutputKey>${xml(k)}</OutputKey><OutputValue>${xml(v)}</OutputValue></member>`)
          .join('');
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>${xml(options.stackName)}</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`,
        );
        return;
      }
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `the control-plane stand-in does not answer ${req.method} ${url.pathname} ${params.get('Action') ?? ''}` }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invocations,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
