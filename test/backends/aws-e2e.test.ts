// The real-client end-to-end tests (skopeo, docker, containerd, podman) against the AWS adapters.
import { runSuiteOn } from './run-suite.js';

await runSuiteOn('aws', new URL('../e2e/', import.meta.url));
