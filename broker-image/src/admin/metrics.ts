import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSources {
  /** Size of every local partition log. */
  logSizes(): Iterable<{ topic: string; partition: number; bytes: number }>;
  /** Capacity and usage of each data volume. */
  diskUsage(): Iterable<{ dir: string; totalBytes: number; usableBytes: number; logBytes: number }>;
  /** Requests parked in each purgatory (long-poll fetches, acks=all produces). */
  purgatorySizes(): { fetch: number; produce: number };
}

/** Why the broker closed a connection (or refused it at once). */
export type ConnectionCloseReason =
  | 'max_connections'
  | 'max_connections_per_ip'
  | 'idle'
  | 'frame_too_large'
  | 'invalid_frame'
  | 'invalid_request'
  | 'request_failed'
  | 'authentication_failed'
  | 'tls_handshake_failed';

/** What the socket server reports when scraped. */
export interface NetworkSource {
  /** Bytes of requests being read or waiting to be served (counted against queued.max.request.bytes). */
  queuedRequestBytes(): number;
  /** The most such bytes at once since the broker started. */
  peakQueuedRequestBytes(): number;
  /** Open client connections, by listener. */
  connections(): Iterable<{ listener: string; count: number }>;
}

/**
 * The broker's Prometheus metrics, in a registry of its own: traffic counters by topic, requests
 * and their latency by API, log sizes and data-volume capacity (read when scraped), and Node's
 * process metrics.
 */
export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly bytesInCounter: Counter<'topic'>;
  private readonly bytesOutCounter: Counter<'topic'>;
  private readonly messagesInCounter: Counter<'topic'>;
  private readonly requestsCounter: Counter<'request'>;
  private readonly requestLatency: Histogram<'request'>;
  private readonly connectionsClosedCounter: Counter<'reason'>;
  private readonly requestMemoryWaitsCounter: Counter;
  private network: NetworkSource | undefined;
  private readonly isrChangesCounter: Counter<'change'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.bytesInCounter = new Counter({
      name: 'kafka_server_bytes_in_total',
      help: 'Bytes of records appended, by topic',
      labelNames: ['topic'],
      registers,
    });
    this.bytesOutCounter = new Counter({
      name: 'kafka_server_bytes_out_total',
      help: 'Bytes of records sent to fetchers, by topic',
      labelNames: ['topic'],
      registers,
    });
    this.messagesInCounter = new Counter({
      name: 'kafka_server_messages_in_total',
      help: 'Records appended, by topic',
      labelNames: ['topic'],
      registers,
    });
    this.requestsCounter = new Counter({
      name: 'kafka_network_requests_total',
      help: 'Requests served, by API',
      labelNames: ['request'],
      registers,
    });
    this.requestLatency = new Histogram({
      name: 'kafka_network_request_duration_seconds',
      help: 'Time from a request arriving to its response being queued, by API',
      labelNames: ['request'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.isrChangesCounter = new Counter({
      name: 'kafka_server_isr_changes_total',
      help: 'ISR changes this broker wrote as leader: expand (a follower caught up) or shrink (it lagged)',
      labelNames: ['change'],
      registers,
    });
    this.connectionsClosedCounter = new Counter({
      name: 'strata_network_connections_closed_total',
      help: 'Connections the broker closed or refused, by reason (limits, idleness, bad input)',
      labelNames: ['reason'],
      registers,
    });
    const network = (): NetworkSource | undefined => this.network;
    new Gauge({
      name: 'strata_network_queued_request_bytes',
      help: 'Bytes of requests being read or waiting to be served (capped by queued.max.request.bytes)',
      registers,
      collect() {
        this.set(network()?.queuedRequestBytes() ?? 0);
      },
    });
    new Gauge({
      name: 'strata_network_queued_request_peak_bytes',
      help: 'The most bytes of requests being read or waiting to be served at once since the broker started',
      registers,
      collect() {
        this.set(network()?.peakQueuedRequestBytes() ?? 0);
      },
    });
    this.requestMemoryWaitsCounter = new Counter({
      name: 'strata_network_request_memory_waits_total',
      help: 'Times a connection stopped reading until queued request bytes were released',
      registers,
    });
    new Gauge({
      name: 'strata_network_connections',
      help: 'Open client connections, by listener',
      labelNames: ['listener'],
      registers,
      collect() {
        this.reset();
        for (const { listener, count } of network()?.connections() ?? []) this.set({ listener }, count);
      },
    });
    new Gauge({
      name: 'kafka_log_size_bytes',
      help: 'Size of each partition log on this broker',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const { topic, partition, bytes } of sources.logSizes())
          this.set({ topic, partition: String(partition) }, bytes);
      },
    });
    new Gauge({
      name: 'kafka_server_purgatory_size',
      help: 'Requests waiting in purgatory, by delayed operation',
      labelNames: ['delayed_operation'],
      registers,
      collect() {
        const sizes = sources.purgatorySizes();
        this.set({ delayed_operation: 'Fetch' }, sizes.fetch);
        this.set({ delayed_operation: 'Produce' }, sizes.produce);
      },
    });
    new Gauge({
      name: 'strata_data_volume_capacity_bytes',
      help: 'Capacity of the data volume holding each log dir',
      labelNames: ['dir'],
      registers,
      collect() {
        for (const d of sources.diskUsage()) this.set({ dir: d.dir }, d.totalBytes);
      },
    });
    new Gauge({
      name: 'strata_data_volume_used_bytes',
      help: 'Bytes used on the data volume holding each log dir',
      labelNames: ['dir'],
      registers,
      collect() {
        for (const d of sources.diskUsage()) this.set({ dir: d.dir }, d.totalBytes - d.usableBytes);
      },
    });
    new Gauge({
      name: 'strata_log_dir_bytes',
      help: 'Bytes of partition logs in each log dir',
      labelNames: ['dir'],
      registers,
      collect() {
        for (const d of sources.diskUsage()) this.set({ dir: d.dir }, d.logBytes);
      },
    });
  }

  recordsIn(topic: string, records: number, bytes: number): void {
    this.messagesInCounter.inc({ topic }, records);
    this.bytesInCounter.inc({ topic }, bytes);
  }

  bytesOut(topic: string, bytes: number): void {
    this.bytesOutCounter.inc({ topic }, bytes);
  }

  isrChanged(change: 'expand' | 'shrink'): void {
    this.isrChangesCounter.inc({ change });
  }

  /** The socket server this broker reports on. */
  watchNetwork(source: NetworkSource): void {
    this.network = source;
  }

  connectionClosed(reason: ConnectionCloseReason): void {
    this.connectionsClosedCounter.inc({ reason });
  }

  /** A connection stopped reading until queued request bytes are released. */
  requestMemoryWait(): void {
    this.requestMemoryWaitsCounter.inc();
  }

  request(api: string, seconds: number): void {
    this.requestsCounter.inc({ request: api });
    this.requestLatency.observe({ request: api }, seconds);
  }
}
