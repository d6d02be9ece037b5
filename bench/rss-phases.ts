// Resident memory of each server, phase by phase. VmHWM (the bench's peak RSS row) cannot be reset,
// so it says how high a server went but not during which rows; this samples VmRSS while the rows
// run and records, per phase (a group of rows), the highest sample, the RSS when the phase ended
// and VmHWM then. The phase whose max first reaches the final VmHWM is the one that set the peak.
import { readFile } from 'node:fs/promises';

export interface RssPhase {
  phase: string;
  /** Highest VmRSS sampled during the phase (every SAMPLE_MS; a shorter spike may be missed). */
  maxRssMiB: number;
  /** VmRSS when the phase ended: what the server kept. */
  rssAfterMiB: number;
  /** VmHWM when the phase ended. */
  hwmAfterMiB: number;
  /** VmHWM rose during this phase. */
  raisedPeak: boolean;
}

const SAMPLE_MS = 100;

async function memoryOf(pid: number): Promise<{ rss: number; hwm: number } | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
    return rss && hwm ? { rss: Number(rss[1]) / 1024, hwm: Number(hwm[1]) / 1024 } : undefined;
  } catch {
    return undefined;
  }
}

/** Samples one process's VmRSS until stopped; `phase()` closes the current phase under a name. */
export class RssPhases {
  readonly phases: RssPhase[] = [];
  private max = 0;
  private lastHwm = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  private async sample(): Promise<void> {
    const m = await memoryOf(this.pid);
    if (m) this.max = Math.max(this.max, m.rss);
  }

  async phase(name: string): Promise<RssPhase | undefined> {
    const m = await memoryOf(this.pid);
    if (!m) return undefined;
    const round = (x: number) => Math.round(x * 10) / 10;
    const entry: RssPhase = {
      phase: name,
      maxRssMiB: round(Math.max(this.max, m.rss)),
      rssAfterMiB: round(m.rss),
      hwmAfterMiB: round(m.hwm),
      raisedPeak: m.hwm > this.lastHwm,
    };
    this.phases.push(entry);
    this.lastHwm = m.hwm;
    this.max = 0;
    return entry;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
