/**
 * The server's periodic in-process collection (`stowage serve --gc-interval`): one sweep every
 * interval, never two at once (and none beside a `stowage gc` on the same data: the collector's
 * lease), each report handed to the metrics. The timer does not keep the process alive.
 */
import { collectGarbage, type CollectionReport, type CollectorOptions } from '../core/gc/collector.js';
import type { Logger } from '../ports/logger.js';

export interface CollectionSchedule {
  /** Stops the timer and waits for a sweep in progress to finish. */
  stop(): Promise<void>;
}

export interface ScheduleOptions extends Omit<CollectorOptions, 'dryRun'> {
  intervalMs: number;
  log: Logger;
  /** Each finished sweep's report, or the error of a failed one. */
  record(outcome: CollectionReport | Error): void;
}

export function scheduleCollections(options: ScheduleOptions): CollectionSchedule {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const { intervalMs, log, record, ...collector } = options;
  const tick = () => {
    running = collectGarbage({ ...collector, log }).then(
      (report) => record(report),
      (err: unknown) => {
        log.error('garbage collection failed; the next run resumes where it stopped', { error: err });
        record(err instanceof Error ? err : new Error(String(err)));
      },
    );
    void running.finally(() => {
      running = undefined;
      if (!stopped) arm();
    });
  };
  const arm = () => {
    timer = setTimeout(tick, intervalMs);
    timer.unref();
  };
  arm();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
