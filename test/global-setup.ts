import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { releaseAwsEmulator } from './support/aws-emulator.js';
import { javaProgramsClasspath } from './support/java-programs.js';

/**
 * Once per test run: checks the compiled broker is there (`npm test` builds it), and resolves the
 * Kafka jars and compiles the Java test programs before suites run in parallel. At the end, stops
 * the AWS emulator if this run was the last one using it (AWS test files start it when they need it).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const main = fileURLToPath(new URL('../dist/broker-image/src/main.js', import.meta.url));
  if (!existsSync(main)) {
    throw new Error(`${main} is missing: run the tests with \`npm test\`, which builds the broker first`);
  }
  await javaProgramsClasspath();
  project.provide('awsEmulatorRun', process.pid);
  return () => releaseAwsEmulator(process.pid);
}
