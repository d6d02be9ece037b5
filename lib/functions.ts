/**
 * Node.js Lambda functions from TypeScript entry points, with a log group each (retention set),
 * bundled by esbuild through NodejsFunction. One per registry operation (the route table's
 * `operation` column), each with only the data access its operation needs (permissions.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { settingsEnvironment } from '../src/config/settings.js';
import { ROUTES, type Operation } from '../src/core/routes.js';
import { functionDefaults, logGroupDefaults } from './defaults.js';
import { acknowledge } from './nag.js';
import { OPERATION_ACCESS } from './permissions.js';
import type { RegistryStorage } from './storage.js';
import type { RegistryTable } from './table.js';

/** The operations of the route table, in table order, each once. */
export const OPERATIONS: readonly Operation[] = [...new Set(ROUTES.map((r) => r.operation))];

/** API Gateway gives an integration 29 s; a function may not run longer than its caller waits. */
export const API_FUNCTION_TIMEOUT = Duration.seconds(29);

export interface FunctionFactoryProps {
  readonly projectRoot: string;
  readonly logRetention: logs.RetentionDays;
  readonly memorySize: number;
  readonly tracing: boolean;
}

/** Makes NodejsFunctions with the construct's defaults. */
export class FunctionFactory {
  constructor(private readonly props: FunctionFactoryProps) {}

  create(
    scope: Construct,
    id: string,
    options: { entry: string; description: string; timeout?: Duration; memorySize?: number; environment?: Record<string, string> },
  ): nodejs.NodejsFunction {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, logGroupDefaults(this.props.logRetention));
    const lockFile = join(this.props.projectRoot, 'package-lock.json');
    const defaults = functionDefaults({
      lock: existsSync(lockFile) ? { projectRoot: this.props.projectRoot, depsLockFilePath: lockFile } : undefined,
      logGroup,
      memorySize: options.memorySize ?? this.props.memorySize,
      timeout: options.timeout ?? API_FUNCTION_TIMEOUT,
      tracing: this.props.tracing,
    });
    const fn = new nodejs.NodejsFunction(scope, id, {
      ...defaults,
      entry: options.entry,
      description: options.description,
      environment: { ...defaults.environment, ...options.environment },
    });
    // cdk-nag: the basic execution policy only lets the function write its logs.
    acknowledge(fn, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
        "AWS's managed policy for a function's own log writes (logs:CreateLogStream, PutLogEvents); its data access comes from named statements",
    });
    return fn;
  }
}

/** `<dir>/<operation>.ts`, or its kebab-case spelling. */
export function operationEntry(directory: string, operation: Operation): string {
  const candidates = [operation, operation.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)].map((n) => join(directory, `${n}.ts`));
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}

export interface OperationFunctionsProps {
  readonly factory: FunctionFactory;
  readonly entryDirectory: string;
  readonly storage: RegistryStorage;
  readonly table: RegistryTable;
  readonly presignExpiresSeconds: number;
  /** The repositories setting as JSON (tag mutability, lifecycle policies); undefined: none. */
  readonly repositoriesDocument?: string | undefined;
}

export class OperationFunctions extends Construct {
  readonly byOperation: ReadonlyMap<Operation, nodejs.NodejsFunction>;

  constructor(scope: Construct, id: string, props: OperationFunctionsProps) {
    super(scope, id);
    const environment = settingsEnvironment({
      s3Bucket: props.storage.bucket.bucketName,
      s3Prefix: props.storage.prefix,
      dynamodbTable: props.table.table.tableName,
      s3PresignExpires: props.presignExpiresSeconds,
      // Blob GETs redirect to the front door's content behaviour (front-door.ts), same host.
      s3BlobRedirects: 'same-host',
      repositories: props.repositoriesDocument,
    });
    const map = new Map<Operation, nodejs.NodejsFunction>();
    for (const operation of OPERATIONS) {
      const fn = props.factory.create(this, operation, {
        entry: operationEntry(props.entryDirectory, operation),
        description: `Stowage registry: ${operation}`,
        environment,
      });
      const access = OPERATION_ACCESS[operation];
      for (const statement of [...props.table.statements(access), ...props.storage.statements(access)]) fn.addToRolePolicy(statement);
      map.set(operation, fn);
    }
    this.byOperation = map;
  }

  get all(): lambda.IFunction[] {
    return [...this.byOperation.values()];
  }
}
