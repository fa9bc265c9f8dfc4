import { subnetMapSetting, type ZoneSubnet } from './network.js';
import { CONTROL_PLANE_PATHS } from './user-data.js';

export interface ControlPlaneSettings {
  readonly region: string;
  /** The port the REST API listens on (on every interface of the host). */
  readonly port: number;
  readonly brokerLaunchTemplateId: string;
  readonly coordinatorLaunchTemplateId: string;
  readonly brokerSecurityGroupIds: readonly string[];
  readonly coordinatorSecurityGroupIds: readonly string[];
  /** One node subnet per zone. */
  readonly nodeSubnets: readonly ZoneSubnet[];
  /** The node bundle's s3:// URI, which the control plane hands to the nodes it launches. */
  readonly nodeBundleUri: string;
}

/**
 * The control plane's environment on AWS, as its configuration reads it: the EC2 provider and its
 * settings (`STRATA_EC2_*`), the region, and the API on every interface. The database URL and the
 * admin key are secrets and are added when the service starts (see `controlPlaneUserData`).
 */
export function controlPlaneEnvironment(settings: ControlPlaneSettings): Record<string, string> {
  if (settings.brokerSecurityGroupIds.length === 0 || settings.coordinatorSecurityGroupIds.length === 0) {
    throw new Error('brokers and coordinators each need at least one security group');
  }
  return {
    PORT: String(settings.port),
    HOST: '0.0.0.0',
    STRATA_PROVIDER: 'ec2',
    STRATA_STATE_DIR: CONTROL_PLANE_PATHS.stateDir,
    AWS_REGION: settings.region,
    STRATA_EC2_BROKER_LAUNCH_TEMPLATE: settings.brokerLaunchTemplateId,
    STRATA_EC2_COORDINATOR_LAUNCH_TEMPLATE: settings.coordinatorLaunchTemplateId,
    STRATA_EC2_BROKER_SECURITY_GROUPS: settings.brokerSecurityGroupIds.join(','),
    STRATA_EC2_COORDINATOR_SECURITY_GROUPS: settings.coordinatorSecurityGroupIds.join(','),
    STRATA_EC2_SUBNETS: subnetMapSetting(settings.nodeSubnets),
    STRATA_EC2_NODE_BUNDLE_URI: settings.nodeBundleUri,
  };
}
