import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileJava, kafkaClasspath } from './kafka-jars.js';

const SOURCES = fileURLToPath(new URL('../compat/java/src', import.meta.url));
const CLASSES = fileURLToPath(new URL('../compat/java/classes', import.meta.url));

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  return Math.max(
    0,
    ...readdirSync(dir, { recursive: true }).map((f) => statSync(join(dir, String(f))).mtimeMs),
  );
}

/**
 * The classpath of the Java test programs, compiled against the Kafka client. The test run's
 * global setup compiles them once (so parallel suites never race); this recompiles only when a
 * source is newer than the classes.
 */
export async function javaProgramsClasspath(): Promise<string> {
  if (newestMtime(CLASSES) >= newestMtime(SOURCES)) return [CLASSES, await kafkaClasspath()].join(':');
  return compileJava(SOURCES, CLASSES);
}

export const JAVA_PROGRAMS = {
  idempotentProducer: 'dev.strata.compat.IdempotentProducer',
  assignSeekConsumer: 'dev.strata.compat.AssignSeekConsumer',
  subscribeConsumer: 'dev.strata.compat.SubscribeConsumer',
  keyedProducer: 'dev.strata.compat.KeyedProducer',
} as const;
