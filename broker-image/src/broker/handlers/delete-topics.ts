import { ERROR_CODES, KafkaError, errorCodeOf, errorMessageOf } from '../../protocol/errors.js';
import { DeleteTopics } from '../../protocol/messages/delete-topics.js';
import { AclOperation } from '../../security/acl.js';
import { authorizedTopic } from '../../security/request-authorization.js';
import { defineHandler } from '../api-handler.js';

/** DeleteTopics, by name (v1-5) or by name or topic id (v6). */
export const deleteTopicsHandler = defineHandler(DeleteTopics, async (request, context) => {
  const { services, apiVersion } = context;
  const wanted =
    apiVersion >= 6
      ? request.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
      : request.topicNames.map((name) => ({ name, topicId: Buffer.alloc(16) }));
  const responses = [];
  for (const w of wanted) {
    let name = w.name;
    try {
      if (name === null) {
        const found = services.metadata.topics().find((t) => t.topicId.equals(w.topicId));
        if (!found)
          throw new KafkaError('UNKNOWN_TOPIC_ID', `No topic with id ${w.topicId.toString('base64url')}`);
        name = found.name;
      }
      // As Kafka: DELETE on the topic.
      if (!authorizedTopic(context, AclOperation.DELETE, name))
        throw new KafkaError('TOPIC_AUTHORIZATION_FAILED', 'Authorization failed.');
      if (services.metadata.topic(name)?.internal) {
        throw new KafkaError('INVALID_REQUEST', `Internal topic ${name} cannot be deleted`);
      }
      const deleted = await services.topicAdmin.deleteTopic(name);
      services.logger.info({ topic: name }, 'deleted topic');
      responses.push({ name, topicId: deleted.topicId, errorCode: ERROR_CODES.NONE, errorMessage: null });
    } catch (error) {
      responses.push({
        name,
        topicId: w.topicId,
        errorCode: errorCodeOf(error),
        errorMessage: errorMessageOf(error),
      });
    }
  }
  return { throttleTimeMs: 0, responses };
});
