import { z } from 'zod';
import * as schemas from './schemas.js';

type Json = Record<string, unknown>;

const json = (schema: z.ZodType, io: 'input' | 'output' = 'output'): Json => ({
  'application/json': { schema: z.toJSONSchema(schema, { io, unrepresentable: 'any' }) },
});

const problem = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: z.toJSONSchema(schemas.Problem) } },
});

const clusterId = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };

/** Query parameters from a zod object schema. */
function parameters(schema: z.ZodObject): Json[] {
  const jsonSchema = z.toJSONSchema(schema, { io: 'input' }) as { properties?: Record<string, Json> };
  return Object.entries(jsonSchema.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: false,
    schema: s,
  }));
}

function operation(
  summary: string,
  options: { body?: z.ZodType; query?: z.ZodObject; path?: boolean; status: number; response: z.ZodType },
): Json {
  const responses: Json = {
    [options.status]: { description: summary, content: json(options.response) },
    401: problem('No API key, or an unknown one'),
  };
  if (options.body || options.query)
    responses[400] = problem('The request breaks a rule; the problem names the field');
  if (options.path) responses[404] = problem('No such cluster or operation');
  if (options.status === 202)
    responses[409] = problem('The cluster is not in a state that allows this, or currentVersion is stale');
  return {
    summary,
    parameters: [...(options.path ? [clusterId] : []), ...(options.query ? parameters(options.query) : [])],
    ...(options.body ? { requestBody: { required: true, content: json(options.body, 'input') } } : {}),
    responses,
  };
}

/** The API's OpenAPI 3.1 document, built from the zod schemas that validate requests. */
export function openApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Strata control plane',
      version: '1',
      description:
        'Creates, scales, grows, heals and deletes Kafka clusters. Every /v1 route needs a bearer API key.',
    },
    servers: [{ url: '/v1' }],
    security: [{ apiKey: [] }],
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    paths: {
      '/clusters': {
        post: operation('Create a cluster', {
          body: schemas.CreateClusterInput,
          status: 202,
          response: schemas.ClusterWithOperation,
        }),
        get: operation('List clusters', {
          query: schemas.ListClustersQuery,
          status: 200,
          response: schemas.ClusterList,
        }),
      },
      '/clusters/{id}': {
        get: operation('Describe a cluster', { path: true, status: 200, response: schemas.ClusterView }),
        delete: operation('Delete a cluster', {
          path: true,
          status: 202,
          response: schemas.ClusterWithOperation,
        }),
      },
      '/clusters/{id}/bootstrap-brokers': {
        get: operation('The bootstrap broker string', {
          path: true,
          status: 200,
          response: schemas.BootstrapBrokers,
        }),
      },
      '/clusters/{id}/nodes': {
        get: operation("The cluster's nodes", { path: true, status: 200, response: schemas.NodeList }),
      },
      '/clusters/{id}/broker-count': {
        put: operation('Scale the broker count', {
          path: true,
          body: schemas.UpdateBrokerCountInput,
          status: 202,
          response: schemas.ClusterWithOperation,
        }),
      },
      '/clusters/{id}/storage': {
        put: operation('Grow storage or change auto-expansion', {
          path: true,
          body: schemas.UpdateStorageInput,
          status: 202,
          response: schemas.ClusterWithOperation,
        }),
      },
      '/clusters/{id}/reboot-broker': {
        post: operation('Reboot one broker', {
          path: true,
          body: schemas.RebootBrokerInput,
          status: 202,
          response: schemas.ClusterWithOperation,
        }),
      },
      '/clusters/{id}/operations': {
        get: operation("The cluster's operations, newest first", {
          path: true,
          query: schemas.ListOperationsQuery,
          status: 200,
          response: schemas.OperationList,
        }),
      },
      '/operations/{id}': {
        get: operation('One operation with its steps', {
          path: true,
          status: 200,
          response: schemas.OperationView,
        }),
      },
    },
  };
}
