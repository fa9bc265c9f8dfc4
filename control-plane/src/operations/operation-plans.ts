import type { OperationType } from '../clusters/cluster-model.js';

/** The steps of each operation type, in order. Scaling in and out differ, so they are two plans. */
export const PLANS = {
  create: ['reserve-resources', 'start-coordinators', 'await-coordinators', 'start-brokers', 'await-brokers'],
  scaleOut: ['record-new-brokers', 'start-brokers', 'await-brokers', 'rebalance-partitions'],
  scaleIn: ['rebalance-partitions', 'stop-removed-brokers', 'release-removed-brokers'],
  updateStorage: ['grow-volumes'],
  rebootBroker: ['restart-broker', 'await-brokers'],
  heal: ['replace-failed-nodes', 'await-coordinators', 'await-brokers'],
  delete: ['stop-brokers', 'stop-coordinators', 'release-resources'],
} as const satisfies Record<string, readonly string[]>;

export type PlanName = keyof typeof PLANS;

/** What a cluster becomes when an operation of this type fails. */
export function stateAfterFailure(type: OperationType): 'FAILED' | 'ACTIVE' {
  return type === 'CREATE_CLUSTER' || type === 'DELETE_CLUSTER' ? 'FAILED' : 'ACTIVE';
}
