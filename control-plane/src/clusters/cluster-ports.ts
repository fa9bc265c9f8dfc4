/**
 * What the cluster use cases need from the layers around them, as interfaces the use cases own:
 * the rules of the provider that runs the nodes, and the operation engine that runs the operations
 * they start. providers/ and operations/ implement these; control-plane.ts wires them in, so
 * nothing here imports either.
 */

/**
 * What the provider can run, so that a cluster it could not start is refused before anything is
 * recorded. Every NodeProvider (providers/provider.ts) is one.
 */
export interface ProviderRules {
  readonly name: string;
  /** The most brokers one cluster may have with this provider. */
  readonly maxBrokers: number;
  /** Why a node type cannot be used here (undefined when it can). */
  checkNodeType(nodeType: string): string | undefined;
  /** Why a cluster cannot have these zones here (undefined when it can). */
  checkZones(zones: readonly string[]): string | undefined;
}

/** The operations the use cases start, by the plan each runs (scaling out and in differ). */
export type UseCasePlan = 'create' | 'scaleOut' | 'scaleIn' | 'updateStorage' | 'rebootBroker' | 'delete';

/**
 * The operation engine, as the use cases see it: the steps of each plan, recorded with the
 * operation they start, and a nudge to run it. The engine is operations/ (its PLANS and worker).
 */
export interface OperationEngine {
  readonly plans: Readonly<Record<UseCasePlan, readonly string[]>>;
  /** Tells the engine an operation waits; a no-op where this process runs no operations. */
  wake(): void;
}
