// The real-client end-to-end tests (skopeo, docker, containerd, podman) against the serverless
// stack through the local harness.
import { runSuiteOn } from './run-suite.js';

await runSuiteOn('lambda', new URL('../e2e/', import.meta.url));
