import type { BrokerCluster } from '../support/broker-cluster.js';
import type { PartitionState } from './cluster-state.js';
import type { AckedProducer } from './producer.js';
import type { Random } from './random.js';

export const FAULT_KINDS = [
  'kill-leader',
  'kill-follower',
  'pause-broker',
  'kill-etcd-member',
  'restart-then-stop-leader',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export const FAULT_DESCRIPTIONS: Record<FaultKind, string> = {
  'kill-leader': 'kill -9 the leader of a partition, restart it',
  'kill-follower': 'kill -9 a follower of a partition, restart it',
  'pause-broker': 'SIGSTOP a broker until the cluster sees it gone, SIGCONT',
  'kill-etcd-member': 'kill -9 an etcd member, restart it',
  'restart-then-stop-leader': 'kill -9 a follower, restart it, SIGTERM the leader at once, restart it',
};

/** `count` faults: rounds of every kind (of `kinds`) in a shuffled order, each kind once per round. */
export function faultSchedule(
  random: Random,
  count: number,
  kinds: readonly FaultKind[] = FAULT_KINDS,
): FaultKind[] {
  const schedule: FaultKind[] = [];
  while (schedule.length < count) schedule.push(...random.shuffle(kinds));
  return schedule.slice(0, count);
}

/** What a fault needs of the harness. Waits end on conditions; a timeout becomes a finding. */
export interface FaultContext {
  readonly cluster: BrokerCluster;
  readonly topic: string;
  readonly partitions: number;
  readonly etcdMembers: number;
  readonly random: Random;
  readonly producer: AckedProducer;
  /** The partitions as every answering broker agrees on them (waits until they do). */
  states(): Promise<PartitionState[]>;
  /** Polls the agreed view until `test` holds: true, or false with a finding after `timeoutMs`. */
  observe(what: string, test: (states: PartitionState[]) => boolean, timeoutMs?: number): Promise<boolean>;
  /** Waits until `more` records beyond the count so far are acknowledged: true, or false with a finding. */
  acknowledgedMore(more: number, what: string, timeoutMs?: number): Promise<boolean>;
  /** Waits for an acknowledgement that arrives at `time` (epoch ms) or later: true, or false with a finding. */
  acknowledgedAfter(time: number, what: string, timeoutMs?: number): Promise<boolean>;
  /** The brokers' metadata lease (metadata.lease.ttl.seconds), in ms. */
  readonly leaseMs: number;
  restartBroker(nodeId: number): Promise<void>;
  killEtcd(index: number): Promise<void>;
  restartEtcd(index: number): Promise<void>;
  /** Records something wrong the fault saw (with the broker log lines around it). */
  finding(text: string, partition?: number): void;
}

/** Runs one fault and returns what it did, in a line. */
export type FaultRunner = (ctx: FaultContext) => Promise<string>;

const elapsed = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function pickPartition(ctx: FaultContext): Promise<PartitionState> {
  const states = await ctx.states();
  return ctx.random.pick(states);
}

function followersOf(state: PartitionState): number[] {
  return state.replicas.filter((r) => r !== state.leader);
}

const killLeader: FaultRunner = async (ctx) => {
  const state = await pickPartition(ctx);
  const leader = state.leader;
  const started = Date.now();
  await ctx.cluster.broker(leader).kill();
  const moved = await ctx.observe(
    `a new leader for partition ${state.partition} after broker ${leader} was killed`,
    (s) => s[state.partition]!.leader >= 0 && s[state.partition]!.leader !== leader,
  );
  const movedAfter = elapsed(started);
  await ctx.acknowledgedMore(1, `acknowledgements with leader ${leader} dead`);
  await ctx.restartBroker(leader);
  return `partition ${state.partition}: killed leader ${leader}, ${moved ? `leader moved in ${movedAfter}` : 'leader never moved'}, restarted`;
};

const killFollower: FaultRunner = async (ctx) => {
  const state = await pickPartition(ctx);
  const follower = ctx.random.pick(followersOf(state));
  const started = Date.now();
  await ctx.cluster.broker(follower).kill();
  const shrunk = await ctx.observe(
    `broker ${follower} out of partition ${state.partition}'s ISR after it was killed`,
    (s) => !s[state.partition]!.isr.includes(follower),
  );
  const shrunkAfter = elapsed(started);
  await ctx.acknowledgedMore(1000, `acknowledgements with follower ${follower} dead`);
  // A dead replica must stay out of the ISR until it comes back.
  const now = await ctx.states();
  const back = now.filter((s) => s.isr.includes(follower)).map((s) => s.partition);
  if (shrunk && back.length > 0) {
    ctx.finding(`dead broker ${follower} is back in the ISR of partition(s) ${back.join(',')}`, back[0]);
  }
  await ctx.restartBroker(follower);
  return `partition ${state.partition}: killed follower ${follower}, ${shrunk ? `ISR shrank in ${shrunkAfter}` : 'ISR never shrank'}, restarted`;
};

const pauseBroker: FaultRunner = async (ctx) => {
  const states = await ctx.states();
  const id = ctx.random.pick([...ctx.cluster.brokers.keys()].sort((a, b) => a - b));
  const hosted = states.filter((s) => s.replicas.includes(id)).map((s) => s.partition);
  const led = states.filter((s) => s.leader === id).map((s) => s.partition);
  const started = Date.now();
  ctx.cluster.broker(id).pause();
  // Frozen past its lease: no partition led by it, none with it in sync.
  const gone = await ctx.observe(`frozen broker ${id} out of every ISR and leading nothing`, (s) =>
    hosted.every((p) => s[p]!.leader !== id && !s[p]!.isr.includes(id)),
  );
  const frozenFor = elapsed(started);
  await ctx.acknowledgedMore(1, `acknowledgements with broker ${id} frozen`);
  ctx.cluster.broker(id).resume();
  return `broker ${id} (leading ${led.length ? led.join(',') : 'nothing'}) frozen ${frozenFor}${gone ? '' : ', never seen gone'}, resumed`;
};

const killEtcdMember: FaultRunner = async (ctx) => {
  const index = ctx.random.int(ctx.etcdMembers);
  const started = Date.now();
  await ctx.killEtcd(index);
  // Down for longer than a lease: every broker has had to renew its lease without this member.
  await ctx.acknowledgedMore(2000, `acknowledgements with etcd member ${index} dead`);
  await ctx.acknowledgedAfter(
    started + ctx.leaseMs + 1000,
    `acknowledgements more than a lease after etcd member ${index} died`,
  );
  const downFor = elapsed(started);
  await ctx.restartEtcd(index);
  return `etcd member ${index} killed for ${downFor}, restarted`;
};

const restartThenStopLeader: FaultRunner = async (ctx) => {
  const state = await pickPartition(ctx);
  const leader = state.leader;
  const follower = ctx.random.pick(followersOf(state));
  await ctx.cluster.broker(follower).kill();
  await ctx.acknowledgedMore(5000, `acknowledgements with follower ${follower} dead`);
  // The follower registers again behind its leader; the leader stops cleanly at once.
  await ctx.restartBroker(follower);
  const code = await ctx.cluster.broker(leader).stop();
  if (code !== 0) ctx.finding(`leader ${leader} exited with ${code} on SIGTERM`, state.partition);
  const after = await ctx.states();
  const next = after[state.partition]!.leader;
  await ctx.acknowledgedMore(1, `acknowledgements with leader ${leader} stopped`);
  await ctx.restartBroker(leader);
  return `partition ${state.partition}: killed follower ${follower}, restarted it, stopped leader ${leader} (exit ${code}), leadership went to ${next}, restarted`;
};

export const FAULTS: Record<FaultKind, FaultRunner> = {
  'kill-leader': killLeader,
  'kill-follower': killFollower,
  'pause-broker': pauseBroker,
  'kill-etcd-member': killEtcdMember,
  'restart-then-stop-leader': restartThenStopLeader,
};
