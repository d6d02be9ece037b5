/**
 * The upload service's container for the harness: a worker thread whose process.env is the
 * task definition's environment (worker_threads gives each worker its own copy), running what
 * the image runs: `stowage serve` (Dockerfile: ENTRYPOINT node bin/stowage.js, CMD serve).
 */
import { main } from '../../src/cli/main.js';

await main(['serve']);
