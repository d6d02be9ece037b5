/** The DynamoDB stream consumer: relays the event outbox's items to EventBridge; see ./README.md. */
import { eventBridgePublisherFromEnv, streamConsumer } from '../src/shells/lambda/stream-consumer.js';

export const handler = streamConsumer({ publisher: eventBridgePublisherFromEnv });
