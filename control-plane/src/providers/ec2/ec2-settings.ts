import { z } from 'zod';

/**
 * The EC2 provider's settings, from the environment the CDK app gives the control plane: the
 * node launch templates, the security groups of the nodes' network interfaces, one node subnet
 * per availability zone, and where nodes download the node bundle. Endpoint, region and
 * credentials are the AWS SDK's standard settings (AWS_REGION, AWS_ENDPOINT_URL, ...).
 */
export interface Ec2Settings {
  readonly brokerLaunchTemplate: string;
  readonly coordinatorLaunchTemplate: string;
  readonly brokerSecurityGroups: readonly string[];
  readonly coordinatorSecurityGroups: readonly string[];
  /** Availability zone → subnet id. */
  readonly subnets: ReadonlyMap<string, string>;
  readonly nodeBundleUri: string;
}

const ids = (prefix: string) =>
  z
    .string()
    .transform((value) => value.split(',').map((v) => v.trim()))
    .pipe(
      z
        .array(
          z.string().regex(new RegExp(`^${prefix}-[0-9a-f]+$`), `must be ${prefix}-… ids, comma-separated`),
        )
        .min(1),
    );

const launchTemplateId = z.string().regex(/^lt-[0-9a-f]+$/, 'must be a launch template id (lt-…)');

export const Ec2Environment = z.object({
  STRATA_EC2_BROKER_LAUNCH_TEMPLATE: launchTemplateId,
  STRATA_EC2_COORDINATOR_LAUNCH_TEMPLATE: launchTemplateId,
  STRATA_EC2_BROKER_SECURITY_GROUPS: ids('sg'),
  STRATA_EC2_COORDINATOR_SECURITY_GROUPS: ids('sg'),
  STRATA_EC2_SUBNETS: z
    .string()
    .transform((value) => value.split(',').map((pair) => pair.trim()))
    .pipe(
      z
        .array(
          z
            .string()
            .regex(/^[a-z0-9-]+=subnet-[0-9a-f]+$/, 'must be <zone>=<subnet-id> pairs, comma-separated'),
        )
        .min(2, 'must name a subnet in at least 2 zones'),
    )
    .transform((pairs) => pairs.map((pair) => pair.split('=') as [string, string]))
    .refine(
      (pairs) => new Set(pairs.map(([zone]) => zone)).size === pairs.length,
      'must name each zone once',
    ),
  STRATA_EC2_NODE_BUNDLE_URI: z.string().regex(/^s3:\/\/[^/]+\/.+/, 'must be an s3://bucket/key URI'),
});

export function ec2Settings(parsed: z.infer<typeof Ec2Environment>): Ec2Settings {
  return {
    brokerLaunchTemplate: parsed.STRATA_EC2_BROKER_LAUNCH_TEMPLATE,
    coordinatorLaunchTemplate: parsed.STRATA_EC2_COORDINATOR_LAUNCH_TEMPLATE,
    brokerSecurityGroups: parsed.STRATA_EC2_BROKER_SECURITY_GROUPS,
    coordinatorSecurityGroups: parsed.STRATA_EC2_COORDINATOR_SECURITY_GROUPS,
    subnets: new Map(parsed.STRATA_EC2_SUBNETS),
    nodeBundleUri: parsed.STRATA_EC2_NODE_BUNDLE_URI,
  };
}
