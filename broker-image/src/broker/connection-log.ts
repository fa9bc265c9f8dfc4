import type { Logger } from 'pino';

/** Lines logged per interval before the rest are only counted. */
export const CONNECTION_WARNINGS_PER_INTERVAL = 10;
export const CONNECTION_WARNING_INTERVAL_MS = 10_000;

/**
 * The log lines about single connections (a bad frame, a refused connection): each client that
 * misbehaves is worth a line, but a flood of them must not flood the log. At most
 * {@link CONNECTION_WARNINGS_PER_INTERVAL} lines are written per interval; the rest are counted and
 * summed up in one line when the interval ends ("suppressed K similar warnings", by reason).
 */
export class ConnectionLog {
  private windowStart = -Infinity;
  private logged = 0;
  private suppressed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly perInterval = CONNECTION_WARNINGS_PER_INTERVAL,
    private readonly intervalMs = CONNECTION_WARNING_INTERVAL_MS,
  ) {}

  /** Logs one warning about a connection, unless this interval's lines are used up. */
  warn(reason: string, fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    if (now - this.windowStart >= this.intervalMs && this.timer === undefined) {
      this.windowStart = now;
      this.logged = 0;
    }
    if (this.logged < this.perInterval) {
      this.logged++;
      this.logger.warn({ ...fields, reason }, message);
      return;
    }
    this.suppressed.set(reason, (this.suppressed.get(reason) ?? 0) + 1);
    this.timer ??= setTimeout(() => this.summarise(), this.windowStart + this.intervalMs - now).unref();
  }

  /** Writes the summary line of the interval that ended, and starts the next interval. */
  private summarise(): void {
    this.timer = undefined;
    const reasons = Object.fromEntries(this.suppressed);
    const count = [...this.suppressed.values()].reduce((a, b) => a + b, 0);
    this.suppressed = new Map();
    this.windowStart = Date.now();
    this.logged = 0;
    this.logger.warn(
      { suppressed: count, reasons, intervalMs: this.intervalMs },
      `suppressed ${count} similar warnings`,
    );
  }

  /** Writes the summary of what was suppressed so far (at shutdown). */
  flush(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.summarise();
  }
}
