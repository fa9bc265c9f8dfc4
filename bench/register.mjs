// `node --import ./bench/register.mjs bench/run.ts`: runs the harness's TypeScript in place, so
// paths derived from import.meta.url (test/support's jar cache and broker bin) stay correct.
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
