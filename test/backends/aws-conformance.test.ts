// The conformance suite against the AWS adapters (S3 + DynamoDB on emulators the tests start).
import { runSuiteOn } from './run-suite.js';

await runSuiteOn('aws', new URL('../conformance/', import.meta.url));
