import { ERROR_CODES, KafkaError, errorCodeOf, errorMessageOf } from '../../protocol/errors.js';
import { AlterConfigs } from '../../protocol/messages/alter-configs.js';
import { AclOperation } from '../../security/acl.js';
import { defineHandler } from '../api-handler.js';
import {
  ResourceType,
  requireConfigAccess,
  requireThisBroker,
  staticBrokerConfigs,
  unsupportedResource,
} from './config-resources.js';

/** AlterConfigs: replaces a topic's whole set of own settings (the legacy, non-incremental API). */
export const alterConfigsHandler = defineHandler(AlterConfigs, async (request, context) => {
  const { services } = context;
  const responses = [];
  for (const resource of request.resources) {
    try {
      requireConfigAccess(context, AclOperation.ALTER_CONFIGS, resource.resourceType, resource.resourceName);
      if (resource.resourceType === ResourceType.TOPIC) {
        const configs = new Map<string, string>();
        for (const c of resource.configs) {
          if (c.value === null)
            throw new KafkaError('INVALID_CONFIG', `Null value not supported for topic configs: ${c.name}`);
          configs.set(c.name, c.value);
        }
        await services.topicAdmin.setTopicConfigs(resource.resourceName, configs, request.validateOnly);
      } else if (resource.resourceType === ResourceType.BROKER) {
        requireThisBroker(resource.resourceName, services);
        throw staticBrokerConfigs();
      } else {
        throw unsupportedResource(resource.resourceType);
      }
      responses.push({
        errorCode: ERROR_CODES.NONE,
        errorMessage: null,
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
      });
    } catch (error) {
      responses.push({
        errorCode: errorCodeOf(error),
        errorMessage: errorMessageOf(error),
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
      });
    }
  }
  return { throttleTimeMs: 0, responses };
});
