// Dollars per 1,000 registry operations on AWS, from the S3 and DynamoDB calls the adapters make
// (counted on the emulators by test/helpers/aws-call-scenarios.ts, the same counts the call-budget
// test holds) and list prices. Requests only: storage, transfer, Lambda and API Gateway are not
// counted here.
import type { CountedCalls } from '../test/helpers/aws-call-scenarios.js';

/**
 * US East (N. Virginia) list prices in USD, as published on aws.amazon.com/s3/pricing and
 * aws.amazon.com/dynamodb/pricing/on-demand (checked 2025; DynamoDB on-demand after its November
 * 2024 reduction). Update `asOf` with the figures.
 */
export const AWS_PRICES = {
  asOf: '2025 list prices, us-east-1',
  /** S3 Standard PUT, COPY, POST, LIST requests (multipart create/part/complete are PUT/POST). */
  s3PutPerThousand: 0.005,
  /** S3 Standard GET, SELECT and all other requests (HEAD). DELETE and abort are free. */
  s3GetPerThousand: 0.0004,
  /** DynamoDB on-demand, per million write request units (1 WRU = one write of up to 1 KB). */
  dynamoWritePerMillion: 0.625,
  /** DynamoDB on-demand, per million read request units (1 RRU = one strongly consistent read of up to 4 KB). */
  dynamoReadPerMillion: 0.125,
} as const;

const S3_PUT_CLASS = new Set(['PutObject', 'CopyObject', 'ListObjectsV2', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'UploadPartCopy']);
const S3_FREE = new Set(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload']);
const DYNAMO_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

export interface OperationCost {
  operation: string;
  /** The counts (the per-request trace stays in the budget test's diagnostics). */
  calls: Omit<CountedCalls, 'trace'>;
  s3Calls: number;
  dynamoCalls: number;
  /** DynamoDB request units (one per item read or written; see costOf). */
  dynamoUnits: number;
  /** USD per 1,000 operations. */
  s3Usd: number;
  dynamoUsd: number;
  totalUsd: number;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/**
 * One request unit per DynamoDB item read or written (`dynamodbItems`: a batch counts each of its
 * items, a transaction each item twice): right for the small items these operations touch
 * (session, link, tag items under 1 KB; manifests under 4 KB read strongly consistently).
 */
export function costOf(operation: string, calls: CountedCalls): OperationCost {
  let s3PerOp = 0;
  for (const [cmd, n] of Object.entries(calls.s3)) {
    if (S3_FREE.has(cmd)) continue;
    s3PerOp += (n * (S3_PUT_CLASS.has(cmd) ? AWS_PRICES.s3PutPerThousand : AWS_PRICES.s3GetPerThousand)) / 1000;
  }
  let dynamoPerOp = 0;
  for (const [cmd, n] of Object.entries(calls.dynamodbItems)) {
    dynamoPerOp += (n * (DYNAMO_WRITES.has(cmd) ? AWS_PRICES.dynamoWritePerMillion : AWS_PRICES.dynamoReadPerMillion)) / 1e6;
  }
  const { trace: _trace, ...counts } = calls;
  return {
    operation,
    calls: counts,
    s3Calls: sum(calls.s3),
    dynamoCalls: sum(calls.dynamodb),
    dynamoUnits: sum(calls.dynamodbItems),
    s3Usd: s3PerOp * 1000,
    dynamoUsd: dynamoPerOp * 1000,
    totalUsd: (s3PerOp + dynamoPerOp) * 1000,
  };
}

export function formatCosts(costs: readonly OperationCost[]): string[] {
  const usd = (v: number) => `$${v.toFixed(4)}`;
  return [
    `AWS request cost per 1,000 operations (${AWS_PRICES.asOf}: S3 PUT/LIST $${AWS_PRICES.s3PutPerThousand}/1k, GET $${AWS_PRICES.s3GetPerThousand}/1k, DELETE free; DynamoDB on-demand $${AWS_PRICES.dynamoWritePerMillion}/M WRU, $${AWS_PRICES.dynamoReadPerMillion}/M RRU; one unit per item, batches counted by item):`,
    ...costs.map(
      (c) => `  ${c.operation}: S3 ${c.s3Calls} calls ${usd(c.s3Usd)}, DynamoDB ${c.dynamoCalls} calls (${c.dynamoUnits} units) ${usd(c.dynamoUsd)}, total ${usd(c.totalUsd)}`,
    ),
  ];
}
