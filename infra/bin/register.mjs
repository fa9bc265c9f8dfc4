// `node --import ./infra/bin/register.mjs infra/bin/strata.ts` runs the CDK app's TypeScript where it
// lies, so the paths the constructs derive from import.meta.url (the Lambda handler's source, the
// node bundle) are the same as under vitest.
import { register } from 'node:module';

register('./typescript-hooks.mjs', import.meta.url);
