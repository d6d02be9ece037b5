// The conformance suite against the serverless stack: through the local harness (CloudFront
// behaviours, API Gateway, the operations' Lambdas, the upload service) on S3/DynamoDB emulators.
import { runSuiteOn } from './run-suite.js';

await runSuiteOn('lambda', new URL('../conformance/', import.meta.url));
