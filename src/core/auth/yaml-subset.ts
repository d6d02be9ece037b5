/**
 * The subset of YAML that policy files need, parsed without a YAML dependency: block mappings,
 * block sequences (items may be mappings), flow sequences (`[a, "b"]`), plain and quoted scalars,
 * true/false/null, integers and `#` comments. Anything else (anchors, tags, block scalars `|` `>`,
 * flow mappings, multi-document streams, tabs as indentation) is refused with its line number
 * rather than guessed at: write the policy as JSON if you need more.
 */
interface Line {
  no: number;
  indent: number;
  text: string;
}

class YamlError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

export function parseYamlSubset(source: string): unknown {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    const no = i + 1;
    const indentMatch = /^[ \t]*/.exec(raw)![0];
    if (indentMatch.includes('\t')) throw new YamlError(no, 'tabs cannot indent YAML; use spaces');
    const text = stripComment(raw.slice(indentMatch.length), no).trimEnd();
    if (text === '') return;
    if (text === '---' && lines.length === 0) return;
    if (text === '---' || text === '...') throw new YamlError(no, 'one document per policy file');
    lines.push({ no, indent: indentMatch.length, text });
  });
  if (lines.length === 0) return null;
  const [value, next] = parseBlock(lines, 0, lines[0]!.indent);
  if (next < lines.length) throw new YamlError(lines[next]!.no, 'unexpected indentation');
  return value;
}

function stripComment(text: string, no: number): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || text[i - 1] === ' ')) {
      return text.slice(0, i);
    }
  }
  if (quote) throw new YamlError(no, 'unterminated quoted string');
  return text;
}

function parseBlock(lines: Line[], start: number, indent: number): [unknown, number] {
  const first = lines[start]!;
  return first.text === '-' || first.text.startsWith('- ') ? parseSequence(lines, start, indent) : parseMapping(lines, start, indent);
}

function parseSequence(lines: Line[], start: number, indent: number): [unknown[], number] {
  const out: unknown[] = [];
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent) {
    const line = lines[i]!;
    if (!(line.text === '-' || line.text.startsWith('- '))) break; // the parent mapping's next key
    const rest = line.text.slice(1).trimStart();
    if (rest === '') {
      const nested = lines[i + 1];
      if (nested && nested.indent > indent) {
        const [value, next] = parseBlock(lines, i + 1, nested.indent);
        out.push(value);
        i = next;
      } else {
        out.push(null);
        i++;
      }
    } else if (splitKey(rest, line.no)) {
      // "- key: value" opens a mapping whose keys sit at the column of "key".
      const column = indent + (line.text.length - rest.length);
      const copy = [...lines];
      copy[i] = { no: line.no, indent: column, text: rest };
      const [value, next] = parseMapping(copy, i, column);
      out.push(value);
      i = next;
    } else {
      out.push(parseInline(rest, line.no));
      i++;
    }
  }
  return [out, i];
}

function parseMapping(lines: Line[], start: number, indent: number): [Record<string, unknown>, number] {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent) {
    const line = lines[i]!;
    const kv = splitKey(line.text, line.no);
    if (!kv) throw new YamlError(line.no, 'expected "key: value"');
    const [key, rest] = kv;
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new YamlError(line.no, `duplicate key "${key}"`);
    if (rest === '') {
      const nested = lines[i + 1];
      // A sequence may sit at the same indentation as its key ("key:\n- a").
      if (nested && (nested.indent > indent || (nested.indent === indent && (nested.text === '-' || nested.text.startsWith('- '))))) {
        const [value, next] = parseBlock(lines, i + 1, nested.indent);
        out[key] = value;
        i = next;
        continue;
      }
      out[key] = null;
    } else {
      out[key] = parseInline(rest, line.no);
    }
    i++;
  }
  return [{ ...out }, i];
}

/** `key: rest` -> [key, rest]; null when the text is not a mapping entry. */
function splitKey(text: string, no: number): [string, string] | null {
  let key: string;
  let after: number;
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = closingQuote(text, no);
    key = parseInline(text.slice(0, end + 1), no) as string;
    after = end + 1;
    if (text[after] !== ':') return null;
  } else {
    const m = /^([A-Za-z0-9_.\-/*]+):(?= |$)/.exec(text);
    if (!m) return null;
    key = m[1]!;
    after = m[1]!.length;
  }
  return [key, text.slice(after + 1).trim()];
}

function closingQuote(text: string, no: number): number {
  const q = text[0];
  for (let i = 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  throw new YamlError(no, 'unterminated quoted string');
}

function parseInline(text: string, no: number): unknown {
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new YamlError(no, 'a flow sequence must end on its line with ]');
    const inner = text.slice(1, -1).trim();
    if (inner === '') return [];
    return splitFlow(inner, no).map((item) => parseInline(item, no));
  }
  if (/^[&*!|>{%@`]/.test(text)) throw new YamlError(no, `"${text.slice(0, 20)}": anchors, tags, block scalars and flow mappings are not supported here; use JSON`);
  if (text.startsWith('"')) {
    if (closingQuote(text, no) !== text.length - 1) throw new YamlError(no, 'text after a quoted string');
    try {
      return JSON.parse(text) as string;
    } catch {
      throw new YamlError(no, 'invalid double-quoted string');
    }
  }
  if (text.startsWith("'")) {
    if (closingQuote(text, no) !== text.length - 1) throw new YamlError(no, 'text after a quoted string');
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null' || text === '~') return null;
  if (/^-?\d{1,15}$/.test(text)) return Number(text);
  if (/: |:$/.test(text)) throw new YamlError(no, `"${text.slice(0, 40)}": nested mappings go on their own lines`);
  return text;
}

function splitFlow(inner: string, no: number): string[] {
  const items: string[] = [];
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '"' || c === "'") i += closingQuote(inner.slice(i), no);
    else if (c === '[' || c === '{') throw new YamlError(no, 'nested flow collections are not supported; use JSON');
    else if (c === ',') {
      items.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(inner.slice(start).trim());
  if (items.some((s) => s === '')) throw new YamlError(no, 'empty item in a flow sequence');
  return items;
}
