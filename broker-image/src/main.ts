import pino from 'pino';
import { Broker } from './broker/broker.js';
import { brokerConfigFrom } from './config/broker-config.js';
import { ConfigError } from './config/config-error.js';
import { loadProperties, parseCommandLine } from './config/load-properties.js';
import { LOG_REDACTION } from './util/log-redaction.js';

/**
 * `strata-broker <server.properties> [--override key=value ...]`: starts the log server.
 * Exits 2 on a configuration error (naming the setting), 1 on a failure to start.
 */
async function main(): Promise<void> {
  const logger = pino({
    level: process.env.STRATA_LOG_LEVEL ?? 'info',
    base: { role: 'broker' },
    redact: LOG_REDACTION,
  });
  let broker: Broker;
  try {
    const commandLine = parseCommandLine(process.argv.slice(2));
    const config = brokerConfigFrom(loadProperties(commandLine, process.env));
    broker = new Broker({ config, logger: logger.child({ nodeId: config.nodeId }) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`strata-broker: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'shutting down');
    broker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.fatal({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; stopping without a clean shutdown');
    process.exit(1);
  });
  try {
    await broker.start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`strata-broker: invalid configuration: ${error.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err: error }, 'broker failed to start');
    process.exit(1);
  }
}

void main();
