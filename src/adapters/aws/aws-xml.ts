/**
 * The text of an element of an AWS XML answer (Query APIs: STS, IAM, CloudFormation). The
 * answers read here are flat and well known, so a pattern does: no XML parser in any bundle.
 */
export function xmlText(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return m?.[1]
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
