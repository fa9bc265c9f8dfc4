import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { javaProgramsClasspath } from './support/java-programs.js';

/**
 * Once per test run: checks the compiled broker is there (`npm test` builds it), and resolves the
 * Kafka jars and compiles the Java test programs before suites run in parallel.
 */
export default async function setup(): Promise<void> {
  const main = fileURLToPath(new URL('../dist/broker-image/src/main.js', import.meta.url));
  if (!existsSync(main)) {
    throw new Error(`${main} is missing: run the tests with \`npm test\`, which builds the broker first`);
  }
  await javaProgramsClasspath();
}
