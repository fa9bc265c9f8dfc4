import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { javaCommand, KAFKA_TOOLS, runKafkaTool } from './kafka-jars.js';

export interface KafkaServerOptions {
  /** Port clients are told to connect to (e.g. a capture proxy's); the broker's own by default. */
  readonly advertisedPort?: number;
  /** Extra server.properties entries. */
  readonly properties?: Record<string, string | number | boolean>;
}

const READY_LINE = 'Kafka Server started';
const START_TIMEOUT_MS = 120_000;

/**
 * A real Apache Kafka broker from the Maven Central jars: one KRaft node that is both broker and
 * controller, on loopback ports and a temp log dir, with single-replica internal topics.
 */
export class KafkaServer {
  private output = '';
  private started = false;
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly dir: string,
  ) {
    const keep = (text: Buffer) => {
      this.output = (this.output + text.toString()).slice(-64 * 1024);
      this.started ||= this.output.includes(READY_LINE);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => child.on('exit', resolve));
  }

  static async start(options: KafkaServerOptions = {}): Promise<KafkaServer> {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-server-'));
    try {
      const [port, controllerPort] = [await freePort(), await freePort()];
      const file = join(dir, 'server.properties');
      const properties: Record<string, string | number | boolean> = {
        'process.roles': 'broker,controller',
        'node.id': 1,
        'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
        listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${options.advertisedPort ?? port}`,
        'controller.listener.names': 'CONTROLLER',
        'inter.broker.listener.name': 'PLAINTEXT',
        'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        'log.dirs': join(dir, 'logs'),
        'offsets.topic.replication.factor': 1,
        'transaction.state.log.replication.factor': 1,
        'transaction.state.log.min.isr': 1,
        'share.coordinator.state.topic.replication.factor': 1,
        'share.coordinator.state.topic.min.isr': 1,
        'group.initial.rebalance.delay.ms': 0,
        ...options.properties,
      };
      writeFileSync(
        file,
        Object.entries(properties)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
      const clusterId = (await checkedTool(KAFKA_TOOLS.storage, ['random-uuid'])).trim();
      await checkedTool(KAFKA_TOOLS.storage, [
        'format',
        '--config',
        file,
        '--cluster-id',
        clusterId,
        '--standalone',
      ]);

      const [command, args] = await javaCommand(KAFKA_TOOLS.kafkaServer, [file], {
        heap: '1g',
        logLevel: 'info',
      });
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const server = new KafkaServer(child, port, dir);
      await server.waitUntilStarted();
      return server;
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Kills the broker and removes its log dir. */
  async destroy(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitUntilStarted(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let exit: number | null | undefined;
    void this.exited.then((code) => (exit = code));
    while (!this.started) {
      if (exit !== undefined || Date.now() > deadline) {
        await this.destroy();
        throw new Error(`Kafka did not start (exit ${exit}):\n${this.output.slice(-4000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function checkedTool(mainClass: string, args: string[]): Promise<string> {
  const result = await runKafkaTool(mainClass, args, { timeoutMs: 120_000 });
  if (result.code !== 0)
    throw new Error(`${mainClass} ${args.join(' ')} exited ${result.code}\n${result.stderr}`);
  return result.stdout;
}
