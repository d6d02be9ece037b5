/** The example scan-on-push target of the push rule (lib/events.ts); see src/shells/lambda/scan-on-push.ts. */
import { scanOnPush } from '../src/shells/lambda/scan-on-push.js';

export const handler = scanOnPush();
