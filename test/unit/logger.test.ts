import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, jsonRecordsTo } from '../../src/log/logger.js';

function capture(level?: 'error' | 'warn' | 'info' | 'debug') {
  const lines: string[] = [];
  const logger = createLogger({ write: (l) => lines.push(l), ...(level && { level }) });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('one JSON line per record: time, level, request id, message first, then the fields', () => {
  const { logger, lines, records } = capture();
  logger.child({ requestId: 'r-1' }).warn('disk almost full', { freeBytes: 10 });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0]!.includes('\n'));
  assert.deepEqual(Object.keys(records()[0]!).slice(0, 4), ['timestamp', 'level', 'requestId', 'message']);
  assert.deepEqual(
    { ...records()[0], timestamp: undefined },
    { timestamp: undefined, level: 'WARN', requestId: 'r-1', message: 'disk almost full', service: 'stowage', sampling_rate: 0, freeBytes: 10 },
  );
});

test('records below the level are not written; errors keep their message and stack', () => {
  const { logger, records } = capture('warn');
  logger.info('not shown');
  logger.debug('not shown');
  logger.error('failed', { error: new Error('boom') });
  assert.deepEqual(
    records().map((r) => r.message),
    ['failed'],
  );
  assert.match(JSON.stringify(records()[0]!.error), /"message":"boom".*"stack":"Error: boom/);
});

test('a serialized record handed to jsonRecordsTo keeps every field; its own message wins, its level goes', () => {
  const { logger, records } = capture();
  jsonRecordsTo(logger, 'info', 'request')(JSON.stringify({ requestId: 'a', status: 201, durationMs: 4 }));
  jsonRecordsTo(logger, 'warn', 'cognito')(JSON.stringify({ level: 'warn', message: 'odd token', clientId: 'c' }));
  const [request, warning] = records();
  assert.deepEqual([request!.message, request!.requestId, request!.status, request!.durationMs], ['request', 'a', 201, 4]);
  assert.deepEqual([warning!.level, warning!.message, warning!.clientId], ['WARN', 'odd token', 'c']);
});
