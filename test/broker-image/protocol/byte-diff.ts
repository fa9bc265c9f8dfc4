/**
 * Where two byte strings first differ, as a message that shows the bytes around it, or undefined
 * when they are identical. Easier to act on than a diff of two long hex strings.
 */
export function byteDifference(actual: Buffer, expected: Buffer): string | undefined {
  if (actual.equals(expected)) return undefined;
  let at = 0;
  while (at < actual.length && at < expected.length && actual[at] === expected[at]) at++;
  const from = Math.max(0, at - 8);
  const around = (b: Buffer) =>
    `${b.subarray(from, at).toString('hex')}|${b.subarray(at, at + 16).toString('hex')}`;
  return (
    `first difference at byte ${at} of ${expected.length} (got ${actual.length} bytes): ` +
    `expected …${around(expected)}… got …${around(actual)}…`
  );
}
