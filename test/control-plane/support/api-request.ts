export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies are checked field by field
  readonly body: any;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly rawBody?: string;
  /** The API key; null sends none. */
  readonly key?: string | null;
  readonly headers?: Record<string, string>;
}

/** One request to the control plane's API: JSON in, JSON (or text) out. */
export async function apiRequest(
  baseUrl: string,
  defaultKey: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== null) headers.authorization = `Bearer ${options.key ?? defaultKey}`;
  let body: string | undefined;
  if (options.body !== undefined || options.rawBody !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = options.rawBody ?? JSON.stringify(options.body);
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    headers: response.headers,
    body: type.includes('json') ? JSON.parse(text) : text,
  };
}
