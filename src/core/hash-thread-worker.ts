/**
 * The hashing thread of ./hash-thread.ts: node:crypto hash states by id, fed from shared-memory
 * slots the event loop filled. Messages arrive in the order they were posted, so the updates of
 * one hash are applied in order and a digest or copy sees every update posted before it.
 */
import { createHash, type Hash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { HashReply, HashRequest } from './hash-thread.js';

const hashes = new Map<number, Hash>();
const port = parentPort;
if (!port) throw new Error('hash-thread-worker.js runs only as a worker thread (src/core/hash-thread.ts starts it)');

function stateOf(id: number): Hash {
  const hash = hashes.get(id);
  if (!hash) throw new Error(`no hash state ${id} on the hashing thread`);
  return hash;
}

port.on('message', (message: HashRequest) => {
  let reply: HashReply | undefined;
  try {
    switch (message.op) {
      case 'create':
        hashes.set(message.id, createHash(message.algorithm));
        break;
      case 'copy':
        hashes.set(message.id, stateOf(message.from).copy());
        break;
      case 'drop':
        hashes.delete(message.id);
        break;
      case 'update':
        stateOf(message.id).update(new Uint8Array(message.slot, 0, message.length));
        reply = { seq: message.seq };
        break;
      case 'digest':
        reply = { seq: message.seq, hex: stateOf(message.id).copy().digest('hex') };
        break;
    }
  } catch (error) {
    if ('seq' in message) reply = { seq: message.seq, error: (error as Error).message };
  }
  if (reply) port.postMessage(reply);
});
