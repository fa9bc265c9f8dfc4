/**
 * The real Apache Kafka client, CLI tools and KRaft broker, as jars from Maven Central.
 *
 * test/compat/java/pom.xml pins the artifacts; the first call to kafkaClasspath() resolves them with
 * Maven into <repo>/.cache/kafka-<version>/libs (about 45 MB, a few seconds on a warm network) and
 * later calls reuse that directory. Requires `java`/`javac` 17+ and `mvn` on PATH (or JAVA_HOME / MVN).
 */
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Must match `kafka.version` in test/compat/java/pom.xml. */
export const KAFKA_VERSION = '4.3.1';

/** Main classes of the Kafka 4.3 tools (kafka-tools jar, except the broker and storage tool in kafka_2.13). */
export const KAFKA_TOOLS = {
  topics: 'org.apache.kafka.tools.TopicCommand',
  consoleProducer: 'org.apache.kafka.tools.ConsoleProducer',
  consoleConsumer: 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  producerPerf: 'org.apache.kafka.tools.ProducerPerformance',
  consumerPerf: 'org.apache.kafka.tools.ConsumerPerformance',
  consumerGroups: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  reassignPartitions: 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand',
  getOffsets: 'org.apache.kafka.tools.GetOffsetShell',
  metadataQuorum: 'org.apache.kafka.tools.MetadataQuorumCommand',
  features: 'org.apache.kafka.tools.FeatureCommand',
  kafkaServer: 'kafka.Kafka',
  storage: 'kafka.tools.StorageTool',
  /** kafka-configs is still the Scala command in Kafka 4.3. */
  configs: 'kafka.admin.ConfigCommand',
  transactions: 'org.apache.kafka.tools.TransactionsCommand',
} as const;

export interface JavaOptions {
  /** Classpath to use instead of the Kafka one (e.g. the result of compileJava). */
  classpath?: string;
  /** Maximum heap, e.g. '256m' (default) or '1g' for a broker. */
  heap?: string;
  /** slf4j-simple level for everything: 'trace' | 'debug' | 'info' | 'warn' (default) | 'error' | 'off'. */
  logLevel?: string;
  /** Extra JVM flags, placed before the main class. */
  jvmArgs?: string[];
}

export interface RunOptions extends JavaOptions {
  /** Written to the tool's stdin, which is then closed (stdin is always closed, so tools never wait on it). */
  input?: string;
  /** Kill the tool and reject after this long. Default 60 s. */
  timeoutMs?: number;
  /** Merged over process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'test', 'compat', 'java', 'pom.xml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error('kafka-jars: cannot find the repository root (test/compat/java/pom.xml)');
    dir = parent;
  }
}

const REPO_ROOT = findRepoRoot();
const POM = path.join(REPO_ROOT, 'test', 'compat', 'java', 'pom.xml');
export const KAFKA_LIBS_DIR = path.join(REPO_ROOT, '.cache', `kafka-${KAFKA_VERSION}`, 'libs');
/** Written into the libs dir after a complete resolution; holds the hash of the pom it came from. */
const STAMP = '.pom.sha256';

function javaBin(tool: 'java' | 'javac'): string {
  const home = process.env.JAVA_HOME;
  return home ? path.join(home, 'bin', tool) : tool;
}

let classpathPromise: Promise<string> | undefined;

/**
 * Makes sure the Kafka jars are in .cache/kafka-<version>/libs (resolving them with Maven if needed)
 * and returns them as a classpath string. Safe to call concurrently, also from several processes.
 */
export function kafkaClasspath(): Promise<string> {
  classpathPromise ??= ensureLibs().catch((err: unknown) => {
    classpathPromise = undefined;
    throw err;
  });
  return classpathPromise;
}

async function ensureLibs(): Promise<string> {
  const pomHash = createHash('sha256')
    .update(await readFile(POM))
    .digest('hex');
  const existing = await readClasspath(KAFKA_LIBS_DIR, pomHash);
  if (existing) return existing;

  // Resolve into a private directory and rename it into place, so a concurrent or interrupted
  // resolution never leaves a half-filled libs dir behind.
  const tmp = `${KAFKA_LIBS_DIR}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  await mkdir(tmp, { recursive: true });
  try {
    const mvn = process.env.MVN ?? 'mvn';
    const mvnArgs = [
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      POM,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${tmp}`,
    ];
    let result: RunResult;
    try {
      result = await run(mvn, mvnArgs, { timeoutMs: 15 * 60_000 });
    } catch (err) {
      throw new Error(`kafka-jars: could not run Maven (${mvn}) to resolve the Kafka jars: ${String(err)}`, {
        cause: err,
      });
    }
    if (result.code !== 0) {
      throw new Error(
        `kafka-jars: \`${mvn} ${mvnArgs.join(' ')}\` failed with exit code ${result.code}\n` +
          `${result.stdout}\n${result.stderr}`.trim(),
      );
    }
    if (!existsSync(path.join(tmp, `kafka-clients-${KAFKA_VERSION}.jar`))) {
      throw new Error(
        `kafka-jars: Maven did not produce kafka-clients-${KAFKA_VERSION}.jar; ` +
          `is KAFKA_VERSION in kafka-jars.ts in sync with kafka.version in ${POM}?`,
      );
    }
    await writeFile(path.join(tmp, STAMP), `${pomHash}\n`);
    if (existsSync(KAFKA_LIBS_DIR)) {
      // Stale (pom changed) or just completed by another process.
      const now = await readClasspath(KAFKA_LIBS_DIR, pomHash);
      if (now) return now;
      await rm(KAFKA_LIBS_DIR, { recursive: true, force: true });
    }
    try {
      await rename(tmp, KAFKA_LIBS_DIR);
    } catch (err) {
      const now = await readClasspath(KAFKA_LIBS_DIR, pomHash);
      if (now) return now;
      throw err;
    }
    const classpath = await readClasspath(KAFKA_LIBS_DIR, pomHash);
    if (!classpath) throw new Error(`kafka-jars: ${KAFKA_LIBS_DIR} is incomplete after resolution`);
    return classpath;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The classpath of a complete libs dir resolved from the pom with this hash, or undefined. */
async function readClasspath(dir: string, pomHash: string): Promise<string | undefined> {
  let stamp: string;
  try {
    stamp = (await readFile(path.join(dir, STAMP), 'utf8')).trim();
  } catch {
    return undefined;
  }
  if (stamp !== pomHash) return undefined;
  const jars = (await readdir(dir)).filter((f) => f.endsWith('.jar')).sort();
  return jars.map((f) => path.join(dir, f)).join(path.delimiter);
}

function jvmFlags(options: JavaOptions): string[] {
  return [
    `-Xmx${options.heap ?? '256m'}`,
    '-Djava.awt.headless=true',
    `-Dorg.slf4j.simpleLogger.defaultLogLevel=${options.logLevel ?? 'warn'}`,
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    ...(options.jvmArgs ?? []),
  ];
}

/** `[command, args]` to spawn `java -cp <kafka classpath> <mainClass> ...args` yourself. */
export async function javaCommand(
  mainClass: string,
  args: string[],
  options: JavaOptions = {},
): Promise<[string, string[]]> {
  const classpath = options.classpath ?? (await kafkaClasspath());
  return [javaBin('java'), [...jvmFlags(options), '-cp', classpath, mainClass, ...args]];
}

/** Runs a Kafka tool (or any main class on the Kafka classpath) to completion and captures its output. */
export async function runKafkaTool(
  mainClass: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const [cmd, cmdArgs] = await javaCommand(mainClass, args, options);
  return run(cmd, cmdArgs, options, mainClass);
}

/**
 * Compiles every .java file under sourceDir (recursively) against the Kafka classpath into outDir,
 * and returns the classpath to run the compiled classes with (outDir first, then the Kafka jars).
 */
export async function compileJava(sourceDir: string, outDir: string): Promise<string> {
  const kafka = await kafkaClasspath();
  const sources = (await readdir(sourceDir, { recursive: true }))
    .filter((f) => f.endsWith('.java'))
    .sort()
    .map((f) => path.resolve(sourceDir, f));
  if (sources.length === 0) throw new Error(`compileJava: no .java files under ${sourceDir}`);
  await mkdir(outDir, { recursive: true });
  const javacArgs = [
    '-encoding',
    'UTF-8',
    '--release',
    '17',
    '-nowarn',
    '-cp',
    kafka,
    '-d',
    outDir,
    ...sources,
  ];
  const result = await run(javaBin('javac'), javacArgs, { timeoutMs: 5 * 60_000 });
  if (result.code !== 0) {
    throw new Error(
      `compileJava: javac failed (exit ${result.code}) for ${sourceDir}\n${result.stdout}${result.stderr}`,
    );
  }
  return [path.resolve(outDir), kafka].join(path.delimiter);
}

function run(
  cmd: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
  label = path.basename(cmd),
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A tool that exits without reading all of its input closes the pipe; that is not an error here.
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (timedOut) {
        const tail = `${out}\n${err}`.trim().slice(-4000);
        reject(new Error(`${label}: timed out after ${timeoutMs} ms\n${tail}`));
        return;
      }
      const signalCode = signal ? 128 + (osConstants.signals[signal] ?? 0) : 1;
      resolve({ code: code ?? signalCode, stdout: out, stderr: err });
    });
  });
}
