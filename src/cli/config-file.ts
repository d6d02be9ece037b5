/**
 * `--config FILE`: settings in a YAML (through the `yaml` package) or JSON file, keyed by the
 * settings' keys (src/config/settings.ts); a section nests keys with a dot in their name
 * (`cognito: { userPoolId: ... }`). Unknown keys are refused, naming their path and the keys
 * allowed there, so a typo never passes silently. Values are checked by the caller
 * (./serve-config.ts), which knows every source.
 *
 * CLI only: Lambdas never read a file, and `yaml` stays out of their bundles.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseYamlText } from '../core/yaml-text.js';
import { ALL_SETTINGS, type Setting } from '../config/settings.js';
import { ConfigError } from './config-error.js';

/** The file's values by setting key, as written (YAML/JSON types). */
export function readConfigFile(file: string): Map<Setting, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYamlText(text);
  } catch (err) {
    const kind = extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML';
    throw new ConfigError(`config file ${file}: not valid ${kind}: ${(err as Error).message.split('\n')[0]}`);
  }
  const values = new Map<Setting, unknown>();
  if (doc === null || doc === undefined) return values;
  collect(file, doc, '', values);
  return values;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function collect(file: string, node: unknown, prefix: string, into: Map<Setting, unknown>): void {
  const where = prefix ? `key ${prefix}` : 'the top level';
  if (!isMapping(node)) throw new ConfigError(`config file ${file}: ${where} must be a mapping of settings`);
  for (const [name, value] of Object.entries(node)) {
    const key = prefix ? `${prefix}.${name}` : name;
    const setting = ALL_SETTINGS.find((s) => s.key === key);
    if (setting) {
      into.set(setting, value);
    } else if (ALL_SETTINGS.some((s) => s.key.startsWith(`${key}.`))) {
      collect(file, value, key, into);
    } else {
      throw new ConfigError(`config file ${file}: unknown key ${key}; allowed at ${where}: ${keysUnder(prefix).join(', ')}`);
    }
  }
}

/** The names allowed directly under a section ('' for the top level). */
function keysUnder(prefix: string): string[] {
  const start = prefix ? `${prefix}.` : '';
  return [...new Set(ALL_SETTINGS.filter((s) => s.key.startsWith(start)).map((s) => s.key.slice(start.length).split('.')[0] as string))];
}
