import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Suites start the compiled broker; `npm test` builds it first. */
export default function setup(): void {
  const main = fileURLToPath(new URL('../dist/broker-image/src/main.js', import.meta.url));
  if (!existsSync(main)) {
    throw new Error(`${main} is missing: run the tests with \`npm test\`, which builds the broker first`);
  }
}
