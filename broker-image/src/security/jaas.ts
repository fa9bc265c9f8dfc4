/**
 * The options of a JAAS login module entry as Kafka's `sasl.jaas.config` writes them:
 * `<LoginModule class> required key="value" key2=value2;`. Strata reads only the options
 * (username, password, user_<name>), never loads the module.
 */
export interface JaasConfig {
  readonly loginModule: string;
  readonly options: ReadonlyMap<string, string>;
}

export function parseJaasConfig(text: string): JaasConfig | undefined {
  const match = /^\s*([A-Za-z0-9_.$]+)\s+(required|requisite|sufficient|optional)\s*([\s\S]*?);?\s*$/.exec(
    text,
  );
  if (!match) return undefined;
  const options = new Map<string, string>();
  const body = match[3]!;
  const option = /([A-Za-z0-9_.@-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s";]+))/gy;
  let at = 0;
  for (;;) {
    while (at < body.length && /\s/.test(body[at]!)) at++;
    if (at >= body.length) break;
    option.lastIndex = at;
    const found = option.exec(body);
    if (!found) return undefined;
    options.set(found[1]!, found[2] !== undefined ? found[2].replace(/\\(.)/g, '$1') : found[3]!);
    at = option.lastIndex;
  }
  return { loginModule: match[1]!, options };
}

/** The `user_<name>="<password>"` entries: users a listener accepts, declared in its config. */
export function jaasUsers(config: JaasConfig): Map<string, string> {
  const users = new Map<string, string>();
  for (const [key, value] of config.options) if (key.startsWith('user_')) users.set(key.slice(5), value);
  return users;
}
