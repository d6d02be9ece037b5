/** The scheduled garbage collector (EventBridge rule, lib/collector.ts): see ./README.md. */
import { collectorHandler } from '../src/shells/lambda/gc-handler.js';

export const handler = collectorHandler();
