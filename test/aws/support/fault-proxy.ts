import { randomUUID } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An AWS error to answer an EC2 call with, instead of forwarding it. */
export interface Ec2Fault {
  /** The EC2 action (`RunInstances`, `DescribeInstances`, ...). */
  readonly action: string;
  /** AWS's error code, e.g. `RequestLimitExceeded`. */
  readonly code: string;
  readonly message: string;
  /** The HTTP status EC2 answers this error with. */
  readonly status: number;
  /** How many calls to answer with it (then calls go through again). @default every call */
  readonly times?: number;
  /**
   * Let the call reach the emulator (and take effect) and lose its answer: the client sees the
   * error, as when EC2 acted but the response did not arrive. @default false
   */
  readonly afterForwarding?: boolean;
}

/** One EC2 call that went through the proxy. */
export interface Ec2Call {
  readonly action: string;
  readonly params: URLSearchParams;
  /** The error code it was answered with, when a fault answered it. */
  readonly fault: string | undefined;
}

/** The errors EC2 answers with for throttling, a lack of capacity and a denied permission. */
export const EC2_ERRORS = {
  throttled: { code: 'RequestLimitExceeded', message: 'Request limit exceeded.', status: 503 },
  noCapacity: {
    code: 'InsufficientInstanceCapacity',
    message:
      'We currently do not have sufficient m5.large capacity in the Availability Zone you requested. ' +
      'Our system will be working on provisioning additional capacity.',
    status: 500,
  },
  internal: { code: 'InternalError', message: 'An internal error has occurred.', status: 500 },
  denied: {
    code: 'UnauthorizedOperation',
    message: 'You are not authorized to perform this operation. User: arn:aws:iam::000000000000:user/strata',
    status: 403,
  },
} as const;

/**
 * A real HTTP proxy between an EC2 client and the emulator: it forwards every request, records
 * the EC2 calls (action and parameters of the query protocol), and answers the calls chosen by
 * `inject` with EC2's error XML, the way EC2 itself fails them.
 */
export class FaultProxy {
  readonly calls: Ec2Call[] = [];
  private faults: { fault: Ec2Fault; left: number }[] = [];

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {}

  static async start(target: string): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server, new URL(target));
    server.on('request', (req, res) => void proxy.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  inject(fault: Ec2Fault): void {
    this.faults.push({ fault, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.faults = [];
  }

  callsOf(action: string): Ec2Call[] {
    return this.calls.filter((c) => c.action === action);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const form = /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '');
    const params = new URLSearchParams(form ? body.toString('utf8') : '');
    const action = params.get('Action') ?? '';
    const chosen = this.faults.find((f) => f.fault.action === action && f.left > 0);
    if (chosen) chosen.left--;
    if (action) this.calls.push({ action, params, fault: chosen?.fault.code });
    const fail = (fault: Ec2Fault) => {
      res.writeHead(fault.status, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(errorXml(fault));
    };
    if (chosen && !chosen.fault.afterForwarding) return fail(chosen.fault);
    const upstream = request(
      {
        host: this.target.hostname,
        port: this.target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        if (chosen) {
          answer.resume();
          answer.once('end', () => fail(chosen.fault));
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`the emulator could not be reached: ${error.message}`);
    });
    upstream.end(body);
  }
}

function errorXml(fault: Ec2Fault): string {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${escape(fault.code)}</Code><Message>${escape(fault.message)}</Message>` +
    `</Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`
  );
}
