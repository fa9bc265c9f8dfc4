import {
  describeBrokerConfigs,
  describeTopicConfigs,
  type DescribedConfig,
} from '../../config/describe-configs.js';
import { ERROR_CODES, KafkaError, errorCodeOf, errorMessageOf } from '../../protocol/errors.js';
import { DescribeConfigs } from '../../protocol/messages/describe-configs.js';
import { AclOperation } from '../../security/acl.js';
import { defineHandler } from '../api-handler.js';
import {
  ResourceType,
  requireConfigAccess,
  requireThisBroker,
  unsupportedResource,
} from './config-resources.js';

/** DescribeConfigs for topics (their own settings over the broker defaults) and for this broker. */
export const describeConfigsHandler = defineHandler(DescribeConfigs, (request, context) => ({
  throttleTimeMs: 0,
  results: request.resources.map((resource) => {
    const { services } = context;
    try {
      requireConfigAccess(
        context,
        AclOperation.DESCRIBE_CONFIGS,
        resource.resourceType,
        resource.resourceName,
      );
      let described: DescribedConfig[];
      if (resource.resourceType === ResourceType.TOPIC) {
        const topic = services.metadata.topic(resource.resourceName);
        if (!topic)
          throw new KafkaError(
            'UNKNOWN_TOPIC_OR_PARTITION',
            `Topic '${resource.resourceName}' does not exist.`,
          );
        described = describeTopicConfigs(topic.configs, services.config);
      } else if (resource.resourceType === ResourceType.BROKER) {
        requireThisBroker(resource.resourceName, services);
        described = describeBrokerConfigs(services.config);
      } else {
        throw unsupportedResource(resource.resourceType);
      }
      const keys = resource.configurationKeys;
      if (keys && keys.length > 0) described = described.filter((c) => keys.includes(c.name));
      return {
        errorCode: ERROR_CODES.NONE,
        errorMessage: null,
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        configs: described.map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          configSource: c.source,
          isSensitive: c.sensitive ?? false,
          synonyms: request.includeSynonyms ? c.synonyms : [],
          configType: c.type,
          documentation: null,
        })),
      };
    } catch (error) {
      return {
        errorCode: errorCodeOf(error),
        errorMessage: errorMessageOf(error),
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
        configs: [],
      };
    }
  }),
}));
