// Rows that time Stowage code in this process (no registry server, no clients): what the unit tests
// used to assert as timings. Measured and reported; a regression shows up as a changed number in
// .bench/results.json, never as a flaky test. Stowage only (distribution has no counterpart).
//
//   login_timing_gap_pct    local login: how much longer (or shorter) an unknown user takes than
//                           a known user with a wrong password; ~0 means a login says nothing about
//                           which users exist (test/adapters/embedded-identity.test.ts)
//   pattern_backtracking_ms a repository pattern with five `**` against a 101-component name
//                           (no catastrophic backtracking; test/unit/auth-policy.test.ts)
//   cdk_synth_s             one offline `cdk synth` of the app, as test/cdk/synth.test.ts runs it
//                           (~12 s idle; Docker bundling creeping in would make it minutes)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedIdentityProvider } from '../src/adapters/embedded/identity-provider.js';
import { hashPassword } from '../src/adapters/embedded/password-hash.js';
import { loadOrCreateSigningKey } from '../src/adapters/embedded/signing-key.js';
import { UsersFile } from '../src/adapters/embedded/users-file.js';
import { RepositoryPattern } from '../src/core/auth/patterns.js';
import { median, type Better, type Cell } from './report.js';
import { repoRoot } from './targets.js';

export interface MicroRow {
  id: string;
  label: string;
  unit: string;
  better: Better;
  measure: () => Promise<Cell>;
}

const msSince = (t: number) => performance.now() - t;

async function loginTimingGap(): Promise<Cell> {
  const dir = await mkdtemp(join(tmpdir(), 'stowage-bench-login-'));
  try {
    const users = new UsersFile(join(dir, 'users.json'));
    await users.put('alice', await hashPassword('correct horse'), []);
    const key = await loadOrCreateSigningKey(join(dir, 'key.pem'));
    const provider = new EmbeddedIdentityProvider({ users, key, issuer: 'http://bench/token' });
    const time = async (username: string) => {
      const t = performance.now();
      await provider.authenticate({ kind: 'password', username, password: 'wrong guess' });
      return msSince(t);
    };
    await time('alice');
    await time('nobody');
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 9; i++) {
      known.push(await time('alice'));
      unknown.push(await time('nobody'));
    }
    const k = median(known);
    const u = median(unknown);
    return { value: Math.abs(u / k - 1) * 100, detail: { wrongPasswordMedianMs: k, unknownUserMedianMs: u, wrongPasswordMs: known, unknownUserMs: unknown } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function patternBacktracking(): Promise<Cell> {
  const name = `${'a/'.repeat(100)}b`;
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    if (RepositoryPattern.parse('**/**/**/**/**/x').matches(name)) return { error: 'the pattern matched a name that does not end in x' };
    runs.push(msSince(t));
  }
  return { value: median(runs), detail: { runsMs: runs } };
}

async function cdkSynth(): Promise<Cell> {
  const root = repoRoot();
  const out = mkdtempSync(join(tmpdir(), 'stowage-bench-synth-'));
  const contextFile = join(root, 'cdk.context.json');
  const hadContextFile = existsSync(contextFile);
  try {
    const t = performance.now();
    const run = spawnSync('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-c', 'stowage:region=eu-west-1', '-c', 'stowage:waf=true', '--output', out], {
      cwd: root,
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
      encoding: 'utf8',
      timeout: 600_000,
    });
    const seconds = msSince(t) / 1000;
    if (run.status !== 0) return { error: `cdk synth failed: ${run.stderr.slice(-2000)}` };
    const template = JSON.parse(readFileSync(join(out, 'Stowage.template.json'), 'utf8')) as { Resources: Record<string, unknown> };
    return { value: seconds, detail: { resources: Object.keys(template.Resources).length } };
  } finally {
    rmSync(out, { recursive: true, force: true });
    if (!hadContextFile) rmSync(contextFile, { force: true });
  }
}

export const MICRO_ROWS: readonly MicroRow[] = [
  { id: 'login_timing_gap_pct', label: 'local login, unknown user vs wrong password: time gap', unit: '%', better: 'lower', measure: loginTimingGap },
  { id: 'pattern_backtracking_ms', label: "pattern '**/**/**/**/**/x' vs a 101-component name", unit: 'ms', better: 'lower', measure: patternBacktracking },
  { id: 'cdk_synth_s', label: 'cdk synth (offline, esbuild bundles, validation on)', unit: 's', better: 'lower', measure: cdkSynth },
];
