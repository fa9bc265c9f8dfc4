import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerProcess } from '../support/broker-process.js';
import { runCommand } from '../support/run-command.js';

/** kcat (librdkafka 2.0, from Debian) against a broker process. */
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await BrokerProcess.start({ properties: { 'num.partitions': 3 } });
});
afterAll(async () => broker?.destroy());

async function kcat(args: string[], input?: string): Promise<string> {
  const result = await runCommand('kcat', ['-b', broker.bootstrap, ...args], { input, timeoutMs: 60_000 });
  if (result.code !== 0) throw new Error(`kcat ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

describe('kcat', () => {
  it('lists brokers and topics with -L', async () => {
    await kcat(['-P', '-t', 'listed', '-p', '0'], 'x\n');
    const out = await kcat(['-L']);
    expect(out).toContain(`broker 1 at ${broker.bootstrap} (controller)`);
    expect(out).toMatch(/topic "listed" with 3 partitions/);
  });

  it('produces keyed records with headers and consumes them back from the beginning', async () => {
    const input = ['k1:v1', 'k2:v2', 'k3:v3'].join('\n') + '\n';
    await kcat(['-P', '-t', 'keyed', '-p', '1', '-K', ':', '-H', 'source=kcat', '-H', 'n=1'], input);
    const out = await kcat(['-C', '-t', 'keyed', '-p', '1', '-o', 'beginning', '-e', '-f', '%k=%s|%h|%o\\n']);
    expect(out.trim().split('\n')).toEqual([
      'k1=v1|source=kcat,n=1|0',
      'k2=v2|source=kcat,n=1|1',
      'k3=v3|source=kcat,n=1|2',
    ]);
  });

  it('reads from the end with -o end and from an offset', async () => {
    await kcat(['-P', '-t', 'offsets', '-p', '0'], 'a\nb\nc\nd\n');
    expect(await kcat(['-C', '-t', 'offsets', '-p', '0', '-o', '2', '-e', '-f', '%s\\n'])).toBe('c\nd\n');
    expect(await kcat(['-C', '-t', 'offsets', '-p', '0', '-o', '-1', '-e', '-f', '%s\\n'])).toBe('d\n');
    expect(await kcat(['-C', '-t', 'offsets', '-p', '0', '-o', 'end', '-e', '-f', '%s\\n'])).toBe('');
  });

  it('finds offsets by timestamp (-o s@ts)', async () => {
    // Separate kcat runs produce records with increasing CreateTime timestamps.
    for (let i = 0; i < 4; i++) await kcat(['-P', '-t', 'timed', '-p', '0'], `t${i}\n`);
    const all = (await kcat(['-C', '-t', 'timed', '-p', '0', '-o', 'beginning', '-e', '-f', '%T %s\\n']))
      .trim()
      .split('\n')
      .map((l) => l.split(' '))
      .map(([ts, value]) => ({ ts: Number(ts), value }));
    expect(all.map((r) => r.value)).toEqual(['t0', 't1', 't2', 't3']);
    const target = all[2]!.ts;
    const expected = all.filter((r, i) => i >= all.findIndex((x) => x.ts >= target)).map((r) => r.value);
    const out = await kcat(['-C', '-t', 'timed', '-p', '0', '-o', `s@${target}`, '-e', '-f', '%s\\n']);
    expect(out.trim().split('\n')).toEqual(expected);
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'])('round-trips %s-compressed batches', async (codec) => {
    const topic = `compressed-${codec}`;
    const lines = Array.from({ length: 200 }, (_, i) => `${codec}-record-${i}`);
    await kcat(['-P', '-t', topic, '-p', '0', '-z', codec], lines.join('\n') + '\n');
    const out = await kcat(['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%s\\n']);
    expect(out.trim().split('\n')).toEqual(lines);
  });
});
