/** The DynamoDB stream consumer: table changes -> EventBridge events (the outbox); see ./README.md. */
import { eventBridgePublisherFromEnv, streamConsumer } from '../src/shells/lambda/stream-consumer.js';

export const handler = streamConsumer({ publisher: eventBridgePublisherFromEnv });
