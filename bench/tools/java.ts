/** Running Kafka's Java tools the way Kafka's own scripts do, and writing down how they were run. */
import { relative, resolve } from 'node:path';
import { javaCommand, KAFKA_LIBS_DIR } from '../../test/support/kafka-jars.js';
import { runToCompletion, type Completed } from '../support/children.js';

/** KAFKA_JVM_PERFORMANCE_OPTS of kafka-run-class.sh, and a fixed locale so numbers print with a '.'. */
export const KAFKA_JVM_FLAGS = [
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-Duser.language=en',
  '-Duser.country=US',
];

const REPO_ROOT = resolve(KAFKA_LIBS_DIR, '..', '..', '..');

/** A command line someone can paste: the jar classpath as a wildcard relative to the repository. */
export function displayJava(command: string, args: readonly string[]): string {
  const shown = args.map((arg, i) =>
    args[i - 1] === '-cp' ? `"${relative(REPO_ROOT, KAFKA_LIBS_DIR)}/*"` : shellQuote(arg),
  );
  return ['java', ...shown].join(' ');
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

export interface ToolRun extends Completed {
  /** The command as displayJava shows it. */
  readonly command: string;
}

/**
 * Runs a Kafka tool main class with the heap its wrapper script gives it (kafka-run-class.sh's
 * 256 MiB, the perf-test scripts' 512 MiB) and Kafka's JVM flags.
 */
export async function runJavaTool(
  mainClass: string,
  args: readonly string[],
  options: { timeoutMs: number; heap?: string },
): Promise<ToolRun> {
  const [command, commandArgs] = await javaCommand(mainClass, [...args], {
    heap: options.heap ?? '256m',
    logLevel: 'warn',
    jvmArgs: KAFKA_JVM_FLAGS,
  });
  const result = await runToCompletion(command, commandArgs, { timeoutMs: options.timeoutMs });
  return { ...result, command: displayJava(command, commandArgs) };
}
