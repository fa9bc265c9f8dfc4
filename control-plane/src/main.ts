import { EnvironmentError, loadConfig } from './config.js';
import { createLogger } from './api/logging.js';
import { ControlPlane } from './control-plane.js';

/** `npm start`: the control plane on http://127.0.0.1:8080 with SQLite and the local provider. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof EnvironmentError)) throw error;
    process.stderr.write(`strata control plane: ${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  let controlPlane: ControlPlane;
  try {
    controlPlane = await ControlPlane.start({ config, logger });
  } catch (error) {
    if (error instanceof EnvironmentError) {
      process.stderr.write(`strata control plane: ${error.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err: error }, 'the control plane could not start');
    process.exit(1);
  }
  if (controlPlane.newAdminKey) {
    process.stdout.write(
      `\nAdmin API key (shown this once; keep it): ${controlPlane.newAdminKey}\n` +
        `  export STRATA_API_KEY=${controlPlane.newAdminKey}\n\n`,
    );
  }
  process.stdout.write(`Strata control plane on ${controlPlane.url} (state in ${config.stateDir})\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping; clusters keep running');
    controlPlane.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
