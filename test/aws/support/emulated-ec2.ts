import {
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Filter,
} from '@aws-sdk/client-ec2';
import { TAG } from '../../../control-plane/src/providers/ec2/node-tags.js';
import { useAwsEmulator, type AwsEmulatorAccount } from '../../support/aws-emulator.js';
import { FaultProxy } from './fault-proxy.js';
import { createNodeNetwork, type NodeNetwork } from './node-network.js';

/** An emulator account with a node network in it, and a fault proxy in front of its EC2 API. */
export interface EmulatedEc2 {
  readonly account: AwsEmulatorAccount;
  /** Calls the emulator directly, not through the proxy: what the test itself reads or makes. */
  readonly ec2: EC2Client;
  readonly network: NodeNetwork;
  /** Where the code under test sends its EC2 calls; the caller closes it. */
  readonly proxy: FaultProxy;
}

/** For a test file's `beforeAll`: an account of its own on the shared emulator, set up for nodes. */
export async function useEmulatedEc2(options: { readonly vpcCidr?: string } = {}): Promise<EmulatedEc2> {
  const account = await useAwsEmulator();
  const ec2 = new EC2Client({
    endpoint: account.endpoint,
    region: account.region,
    credentials: account.credentials,
  });
  const network = await createNodeNetwork(ec2, account, options);
  const proxy = await FaultProxy.start(account.endpoint);
  return { account, ec2, network, proxy };
}

/** Selects the resources tagged with the cluster's id. */
export const clusterFilter = (clusterId: string): Filter[] => [
  { Name: `tag:${TAG.cluster}`, Values: [clusterId] },
];

/** Every resource EC2 still has with the cluster's tag (ended instances aside). */
export async function clusterResources(ec2: EC2Client, clusterId: string) {
  const Filters = clusterFilter(clusterId);
  const { Reservations } = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        ...Filters,
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    }),
  );
  const { Volumes } = await ec2.send(new DescribeVolumesCommand({ Filters }));
  const { NetworkInterfaces } = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters }));
  return {
    instances: (Reservations ?? []).flatMap((r) => r.Instances ?? []),
    volumes: Volumes ?? [],
    interfaces: NetworkInterfaces ?? [],
  };
}
