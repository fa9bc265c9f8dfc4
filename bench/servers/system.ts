/** Which broker implementation a system under test runs. */
export type Side = 'kafka' | 'strata';

export const SIDES: readonly Side[] = ['kafka', 'strata'];

export const SIDE_LABEL: Record<Side, string> = { kafka: 'Kafka', strata: 'Strata' };

/** A running deployment the workloads are pointed at: one broker, or a cluster. */
export interface SystemUnderTest {
  readonly side: Side;
  readonly bootstrap: string;
  /** One pid per broker (the JVM, or the node process); each is metered with its descendants. */
  readonly brokerPids: readonly number[];
  /** Other processes the system cannot run without (Strata's etcd members), metered with it. */
  readonly supportPids: readonly number[];
  /** The first broker's server.properties, for the results file. */
  readonly configText: string;
  /** How the broker was started, for the results file. */
  readonly startCommand: string;
  /** Stops every process it started and removes its data. */
  stop(): Promise<void>;
}
