/**
 * `npm run faults -- --faults 200 [--seed N] [--partitions 3] [--kinds pause-broker,kill-leader]`:
 * the nemesis for as many faults as asked (of every kind, or of those named), then its report;
 * `--logs <dir>` also keeps every broker process's log lines there. Exits 1 when anything acknowledged was lost or duplicated, a replica
 * differs or stayed out of sync, or the cluster did not heal.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { javaProgramsClasspath } from '../support/java-programs.js';
import { FAULT_KINDS, type FaultKind } from './faults.js';
import { passed, runNemesis } from './nemesis.js';
import { renderReport } from './report.js';

const USAGE =
  'usage: npm run faults -- [--faults N] [--seed N] [--partitions N] [--kinds kind,kind] [--logs dir]';

interface RunOptions {
  faults: number;
  seed?: number;
  partitions: number;
  kinds?: FaultKind[];
  logDir?: string;
}

function parse(argv: readonly string[]): RunOptions {
  const options: RunOptions = { faults: 200, partitions: 3 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const text = argv[i + 1] ?? '';
    if (flag === '--logs') {
      if (!text) throw new Error(`--logs needs a directory: ${USAGE}`);
      options.logDir = text;
      continue;
    }
    if (flag === '--kinds') {
      const kinds = text.split(',');
      const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
      if (unknown.length > 0)
        throw new Error(`unknown fault kinds ${unknown.join(', ')}: ${FAULT_KINDS.join(', ')}`);
      options.kinds = kinds as FaultKind[];
      continue;
    }
    const value = Number(text);
    if (!['--faults', '--seed', '--partitions'].includes(flag) || !Number.isSafeInteger(value) || value < 0) {
      throw new Error(`${flag} ${text}: ${USAGE}`);
    }
    if (flag === '--faults') options.faults = value;
    else if (flag === '--seed') options.seed = value;
    else options.partitions = Math.max(1, value);
  }
  return options;
}

// Children are killed on exit (killOnExit); make ^C and SIGTERM an exit.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const main = fileURLToPath(new URL('../../dist/broker-image/src/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error(`${main} is missing: run \`npm run faults\`, which builds the broker first`);
  process.exit(2);
}

let options;
try {
  options = parse(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
// What the test run's global setup does: the Kafka jars resolved and the Java programs compiled.
await javaProgramsClasspath();
const result = await runNemesis(options);
console.log(renderReport(result));
process.exit(passed(result) ? 0 : 1);
