/** The usage text of `stowage serve`, written from the settings (src/config/settings.ts). */
import { ALL_SETTINGS, type Setting, type SettingGroup } from '../config/settings.js';
import { defaultInWords } from '../config/settings-table.js';

const WIDTH = 27;

/** One setting's usage entry: the flag (or the variable alone), then what it does, the variable and the default. */
export function usageLine(s: Setting): string {
  const head = s.flag ? `--${s.flag}${s.flagArg ? ` ${s.flagArg}` : ''}` : s.env;
  const dflt = defaultInWords(s);
  const tail = `${s.flag ? s.env : `key ${s.key}`}${dflt ? `, default ${dflt}` : ''}`;
  const text = `${s.description} (${tail})`;
  const pad = head.length + 2 < WIDTH ? ' '.repeat(WIDTH - head.length - 2) : `\n${' '.repeat(WIDTH)}`;
  return `  ${head}${pad}${wrap(text, WIDTH)}`;
}

function wrap(text: string, indent: number, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

const GROUPS: Record<SettingGroup, string> = {
  server: 'Server',
  storage: 'Storage',
  events: 'Events',
  auth: 'Authentication',
  cognito: 'Amazon Cognito (with --auth cognito; environment or config file only)',
};

export const SERVE_USAGE = `usage: stowage serve [--config FILE] [options]

Every option can also be set by its environment variable or in a YAML or JSON file given with
--config FILE, keyed as in the README's settings table (camelCase; the cognito settings in a
\`cognito:\` section). Flags win over the environment, the environment over the file.
${(Object.keys(GROUPS) as SettingGroup[])
  .map(
    (g) =>
      `\n${GROUPS[g]}:\n${ALL_SETTINGS.filter((s) => s.group === g && (s.flag || g === 'cognito' || s.key === 'policyDocument' || s.key === 'repositories'))
        .map(usageLine)
        .join('\n')}\n`,
  )
  .join('')}
AWS endpoints, region and credentials come from the AWS SDK's standard configuration
(AWS_REGION, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_DYNAMODB, AWS_PROFILE, ...).
`;

/** Every command, one line each: what `stowage --help` prints. */
export const COMMANDS: readonly (readonly [string, string])[] = [
  ['serve [options]', 'run the registry (stowage serve --help lists every setting)'],
  ['user add NAME [--update]', 'add a local user for --auth local, password from stdin; --update replaces one'],
  ['user list', 'list the local users and their groups'],
  ['user remove NAME', 'remove a local user'],
  ['user import-htpasswd FILE', 'copy the bcrypt users of an Apache htpasswd file into the users file'],
  ['gc [--dry-run] [--json] [--grace D]', 'collect garbage in --data-dir: unreferenced blobs, abandoned uploads (safe beside a running server)'],
  ['check [--repair] [--json]', 'scrub the data directory: every blob rehashed, metadata cross-checked; exit 1 on problems'],
  ['backup DIR', 'copy the data directory into DIR (new or empty) while the server runs'],
  ['restore DIR', 'restore a backup into the data directory (new or empty), verified first'],
  ['lifecycle preview REPO [--json]', "what the repository's lifecycle policy would expire now (ECR's preview)"],
  ['repo delete NAME --force', 'delete a whole repository (manifests, tags, referrers, links)'],
  ['usage [--json]', 'bytes stored per repository and in total'],
  ['login --registry URL', 'a registry password from your AWS IAM identity, for docker login --username AWS --password-stdin (AWS deployment with iamLogin)'],
  ['help', 'this list (also --help, -h)'],
  ['version', 'the version (also --version, -v)'],
];

export const MAIN_USAGE = `usage: stowage COMMAND [options]

Commands:
${COMMANDS.map(([c, what]) => `  ${c.padEnd(WIDTH)}${what}`).join('\n')}

stowage COMMAND --help shows the options of a command.
`;
