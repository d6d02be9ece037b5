/** `GET`/`HEAD /v2/`: the API version check; with auth on, the gate in front of it is the point (docker learns the realm from its 401). */
import { jsonResponse } from '../messages.js';
import type { RegistryOperation } from '../operation.js';

export const pingOperation: RegistryOperation = { kind: 'registry', operation: 'ping', ports: [], run: async () => jsonResponse(200, {}) };
