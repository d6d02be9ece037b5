/**
 * YAML text as operators write it (policy files, `--config FILE`), parsed by the `yaml` package
 * after a bound on its nesting. Why: `yaml` parses recursively, so a document nested ~800 levels
 * deep (`[[[[...`) overflows the stack, and a second such document in the same process has been
 * seen to abort Node with an out-of-memory error in V8's RegExp compiler (found by the property
 * tests in test/unit/policy-config.property.test.ts). No real document nests beyond a handful of
 * levels, so a cheap over-estimate of the depth refuses the absurd ones with one line first.
 */
import { parse } from 'yaml';

export const MAX_YAML_DEPTH = 100;

/**
 * An upper bound of the nesting depth: per line, its indentation plus the block entries ("- ",
 * "? ") that open on it, plus the flow collections ([ {) open at any point. Brackets inside
 * quoted scalars count too, which only over-estimates.
 */
export function yamlNestingEstimate(text: string): number {
  let deepest = 0;
  let flow = 0;
  for (const line of text.split(/\r?\n/)) {
    const indent = /^[ \t]*/.exec(line)?.[0].length ?? 0;
    let block = 0;
    for (const m of line.matchAll(/(?:^|[ \t])[-?](?=[ \t]|$)/g)) if (m.index !== undefined) block++;
    for (const c of line) {
      if (c === '[' || c === '{') flow++;
      else if ((c === ']' || c === '}') && flow > 0) flow--;
      deepest = Math.max(deepest, flow);
    }
    deepest = Math.max(deepest, indent + block + flow);
  }
  return deepest;
}

/** Parses one YAML document; throws one line when it nests too deep or does not parse. */
export function parseYamlText(text: string): unknown {
  const depth = yamlNestingEstimate(text);
  if (depth > MAX_YAML_DEPTH) throw new Error(`nested about ${depth} levels deep; at most ${MAX_YAML_DEPTH} are accepted`);
  return parse(text);
}
