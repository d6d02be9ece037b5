/**
 * Policy files as people write them: YAML, or JSON (a file whose text starts with `{`), through
 * the `yaml` package (YAML 1.2 core schema: duplicate keys, tabs as indentation and several
 * documents in one file are refused with their line; absurdly deep nesting is refused before the
 * parser sees it, ../yaml-text.ts). Separate from ./policy.ts because the
 * parser is about 115 KB minified: the CLI and the CDK app read files, the Lambdas read the
 * compact JSON the stack put into their environment.
 */
import { parseYamlText } from '../yaml-text.js';
import { parsePolicyDocumentText, type Policy } from './policy.js';

/** The document in a policy file's text: JSON when it starts with `{`, else YAML. */
export function readPolicyDocument(text: string): unknown {
  return text.trimStart().startsWith('{') ? JSON.parse(text) : parseYamlText(text);
}

/** Parses a policy file's text (YAML or JSON); every problem is prefixed with `source`. */
export function parsePolicyText(text: string, source = 'policy'): Policy {
  return parsePolicyDocumentText(text, source, readPolicyDocument);
}
