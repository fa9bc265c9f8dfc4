/**
 * PEM text as Kafka accepts it in a setting: the blocks may have lost their line breaks (a
 * properties file's continued lines are joined), so each block without headers is re-wrapped.
 */
export interface PemBlock {
  readonly label: string;
  readonly text: string;
}

export function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const pattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (const match of text.matchAll(pattern)) {
    const label = match[1]!;
    const body = match[2]!;
    if (body.includes(':')) {
      // Headers (a legacy encrypted key): kept as written.
      blocks.push({ label, text: match[0] });
      continue;
    }
    const base64 = body.replace(/\s+/g, '');
    const lines = base64.match(/.{1,64}/g) ?? [];
    blocks.push({ label, text: `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n` });
  }
  return blocks;
}

export const isCertificate = (block: PemBlock): boolean => block.label === 'CERTIFICATE';
export const isPrivateKey = (block: PemBlock): boolean => block.label.endsWith('PRIVATE KEY');
