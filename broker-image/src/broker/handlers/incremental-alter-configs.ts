import { TOPIC_CONFIGS } from '../../config/topic-configs.js';
import { ERROR_CODES, KafkaError, errorCodeOf, errorMessageOf } from '../../protocol/errors.js';
import { IncrementalAlterConfigs } from '../../protocol/messages/incremental-alter-configs.js';
import { AclOperation } from '../../security/acl.js';
import { defineHandler } from '../api-handler.js';
import {
  REPLICATION_THROTTLE_CONFIGS,
  ResourceType,
  requireConfigAccess,
  requireThisBroker,
  staticBrokerConfigs,
  throttleNotSupported,
  unsupportedResource,
} from './config-resources.js';

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

/** Deleting a replication throttle, which Strata never sets: a no-op that succeeds. */
const deletesThrottle = (c: { name: string; configOperation: number }): boolean =>
  c.configOperation === DELETE && REPLICATION_THROTTLE_CONFIGS.has(c.name);

/**
 * IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT on a topic's own settings; the result
 * is validated as a whole before anything changes.
 */
export const incrementalAlterConfigsHandler = defineHandler(
  IncrementalAlterConfigs,
  async (request, context) => {
    const { services } = context;
    const responses = [];
    for (const resource of request.resources) {
      try {
        requireConfigAccess(
          context,
          AclOperation.ALTER_CONFIGS,
          resource.resourceType,
          resource.resourceName,
        );
        if (resource.resourceType === ResourceType.TOPIC) {
          const topic = services.metadata.topic(resource.resourceName);
          if (!topic)
            throw new KafkaError(
              'UNKNOWN_TOPIC_OR_PARTITION',
              `Topic '${resource.resourceName}' does not exist.`,
            );
          const configs = new Map(topic.configs);
          for (const c of resource.configs) {
            const definition = TOPIC_CONFIGS[c.name];
            // The broker-level throttle rates named on a topic: refused by name (deleting is a no-op).
            if (!definition && deletesThrottle(c)) continue;
            if (!definition && REPLICATION_THROTTLE_CONFIGS.has(c.name)) throw throttleNotSupported(c.name);
            if (!definition) throw new KafkaError('INVALID_CONFIG', `Unknown topic config name: ${c.name}`);
            const isList = definition.parse.configType === 'LIST';
            switch (c.configOperation) {
              case SET:
                if (c.value === null)
                  throw new KafkaError('INVALID_CONFIG', `Null value not supported for ${c.name}`);
                configs.set(c.name, c.value);
                break;
              case DELETE:
                configs.delete(c.name);
                break;
              case APPEND:
              case SUBTRACT: {
                if (!isList)
                  throw new KafkaError(
                    'INVALID_CONFIG',
                    `${c.name} is not a list: APPEND and SUBTRACT need one`,
                  );
                const current = (configs.get(c.name) ?? definition.brokerDefault(services.config))
                  .split(',')
                  .filter(Boolean);
                const items = (c.value ?? '')
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean);
                const next =
                  c.configOperation === APPEND
                    ? [...current, ...items.filter((i) => !current.includes(i))]
                    : current.filter((i) => !items.includes(i));
                configs.set(c.name, next.join(','));
                break;
              }
              default:
                throw new KafkaError('INVALID_REQUEST', `unknown config operation ${c.configOperation}`);
            }
          }
          await services.topicAdmin.setTopicConfigs(resource.resourceName, configs, request.validateOnly);
        } else if (resource.resourceType === ResourceType.BROKER) {
          requireThisBroker(resource.resourceName, services);
          if (!resource.configs.every(deletesThrottle)) throw staticBrokerConfigs();
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
  },
);
