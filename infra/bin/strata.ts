import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from '../lib/app-context.js';
import { StrataStack } from '../lib/strata-stack.js';

/**
 * The CDK app: one stack, `Strata`, in the account and region the CLI deploys to. From the
 * repository root (after `npm ci && npm run build` and building the node bundle):
 *
 *   npx cdk synth --app 'node --import ./infra/bin/register.mjs infra/bin/strata.ts' -o infra/cdk.out
 *
 * or `npx cdk synth` inside infra/ (cdk.json runs the same). Settings are context keys, e.g.
 * `-c brokersPerZone=2` (see infra/lib/app-context.ts). cdk-nag's AWS Solutions checks run on
 * every synthesis and fail it on an unacknowledged finding.
 */
const app = new App();
new StrataStack(
  app,
  'Strata',
  stackPropsFromContext((key) => app.node.tryGetContext(key)),
);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
