import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresServer } from '../support/postgres-server.js';
import { API_KEY, ControlPlaneApi, type ApiResponse } from './support/control-plane-api.js';

/**
 * The control plane's REST API, route by route and rule by rule, on SQLite and on PostgreSQL.
 * Operations are recorded but not run here; states an operation would reach are arranged through
 * the repository.
 */

function createBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `c-${Math.random().toString(36).slice(2, 10)}`,
    zones: ['az-a', 'az-b', 'az-c'],
    brokersPerZone: 1,
    storage: { volumeSizeGiB: 10 },
    ...overrides,
  };
}

function expectProblem(response: ApiResponse, status: number, field: string, rule?: RegExp): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(response.body.status).toBe(status);
  expect(response.body.title).toBeTruthy();
  const fields = (response.body.errors ?? []).map((e: { field: string }) => e.field);
  expect(fields, JSON.stringify(response.body)).toContain(field);
  if (rule) expect(response.body.detail).toMatch(rule);
}

let postgres: PostgresServer | undefined;
beforeAll(async () => {
  postgres = await PostgresServer.start();
});
afterAll(async () => {
  await postgres?.stop();
});

describe.each(['sqlite', 'postgresql'] as const)('control plane API on %s', (database) => {
  let api: ControlPlaneApi;
  beforeAll(async () => {
    api = await ControlPlaneApi.start(database, postgres);
  });
  afterAll(async () => {
    await api?.stop();
  });

  /** Creates a cluster through the API; its id and version. */
  async function create(
    overrides: Record<string, unknown> = {},
  ): Promise<{ id: string; version: string; name: string }> {
    const response = await api.request('POST', '/v1/clusters', { body: createBody(overrides) });
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    return {
      id: response.body.cluster.id,
      version: response.body.cluster.currentVersion,
      name: response.body.cluster.name,
    };
  }

  /** Arranges what a finished CREATE_CLUSTER leaves: brokers recorded and running, cluster ACTIVE. */
  async function activate(id: string): Promise<string> {
    const repository = api.repository;
    const cluster = (await repository.getCluster(id))!;
    for (let brokerId = 1; brokerId <= cluster.zones.length * cluster.brokersPerZone; brokerId++) {
      const zone = cluster.zones[(brokerId - 1) % cluster.zones.length]!;
      // Port 1 on loopback: nothing listens there, so anything that would reach a broker fails fast.
      const node = await repository.ensureNode({
        clusterId: id,
        role: 'broker',
        zone,
        nodeIndex: brokerId,
        host: '127.0.0.1',
        port: 1,
        adminPort: 1,
        peerPort: null,
      });
      await repository.updateNode(node.id, { state: 'RUNNING' });
      await repository.ensureVolume({ clusterId: id, brokerId, zone, sizeGiB: cluster.volumeSizeGiB });
    }
    const active = await repository.activeOperation(id);
    if (active) await repository.finishOperation(active.id, 'SUCCEEDED');
    await repository.setClusterState(id, 'ACTIVE');
    return (await repository.getCluster(id))!.currentVersion;
  }

  async function clusterCount(): Promise<number> {
    return api.db.cluster.count();
  }

  describe('open routes', () => {
    it('answers /healthz', async () => {
      const response = await api.request('GET', '/healthz', { key: null });
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok' });
    });

    it('serves an OpenAPI document built from the validating schemas', async () => {
      const response = await api.request('GET', '/openapi.json', { key: null });
      expect(response.status).toBe(200);
      expect(response.body.openapi).toBe('3.1.0');
      const create = response.body.paths['/clusters'].post;
      const schema = create.requestBody.content['application/json'].schema;
      expect(schema.required).toEqual(expect.arrayContaining(['name', 'zones', 'brokersPerZone', 'storage']));
      expect(schema.properties.zones).toMatchObject({ minItems: 2, maxItems: 3 });
      expect(
        schema.properties.storage.properties.autoExpansion.properties.targetUtilizationPercent,
      ).toMatchObject({
        minimum: 10,
        maximum: 80,
      });
      expect(create.responses['202']).toBeDefined();
      expect(create.responses['400'].content['application/problem+json']).toBeDefined();
      expect(Object.keys(response.body.paths)).toEqual(
        expect.arrayContaining([
          '/clusters/{id}',
          '/clusters/{id}/bootstrap-brokers',
          '/clusters/{id}/nodes',
          '/clusters/{id}/broker-count',
          '/clusters/{id}/storage',
          '/clusters/{id}/reboot-broker',
          '/clusters/{id}/operations',
          '/operations/{id}',
        ]),
      );
      const listParameters = response.body.paths['/clusters'].get.parameters.map(
        (p: { name: string }) => p.name,
      );
      expect(listParameters).toEqual(expect.arrayContaining(['state', 'name', 'maxResults', 'nextToken']));
    });

    it('exposes Prometheus metrics: clusters by state, requests', async () => {
      await create();
      const response = await api.request('GET', '/metrics', { key: null });
      expect(response.status).toBe(200);
      expect(response.body).toMatch(/strata_clusters\{state="CREATING"\} [1-9]/);
      expect(response.body).toMatch(/strata_operations\{type="CREATE_CLUSTER",state="PENDING"\} [1-9]/);
      expect(response.body).toMatch(
        /strata_http_requests_total\{method="POST",route="\/v1\/clusters\/",status="202"\} [1-9]/,
      );
      expect(response.body).toMatch(/process_resident_memory_bytes \d+/);
    });

    it('answers request headers over 16 KiB with a 431 problem, not a bare status line', async () => {
      const answer = await rawRequest(
        api.controlPlane.url,
        `GET /v1/clusters HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${API_KEY}\r\n` +
          `x-padding: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
      expect(answer).toContain('content-type: application/problem+json');
      const problem = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
      expect(problem).toMatchObject({ status: 431, errors: [{ field: 'headers' }] });
      // Headers within the limit are served as before.
      const fine = await api.request('GET', '/v1/clusters', { headers: { 'x-padding': 'a'.repeat(8_000) } });
      expect(fine.status).toBe(200);
    });

    it('answers unknown routes with a 404 problem', async () => {
      const response = await api.request('GET', '/v1/nope');
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });
  });

  describe('API keys', () => {
    it('refuses a request without a key with 401 and a WWW-Authenticate challenge', async () => {
      const response = await api.request('GET', '/v1/clusters', { key: null });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    });

    it('refuses an unknown key and a non-bearer scheme', async () => {
      const unknown = await api.request('GET', '/v1/clusters', { key: 'not-a-key-of-this-control-plane' });
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toContain('invalid_token');
      const basic = await api.request('GET', '/v1/clusters', {
        key: null,
        headers: { authorization: `Basic ${API_KEY}` },
      });
      expect(basic.status).toBe(401);
    });

    it('refuses a mutation without a key and changes nothing', async () => {
      const before = await clusterCount();
      const response = await api.request('POST', '/v1/clusters', { key: null, body: createBody() });
      expect(response.status).toBe(401);
      expect(await clusterCount()).toBe(before);
    });

    it('stores keys as an id and a salted scrypt hash, never the key or part of it', async () => {
      const keys = await api.db.apiKey.findMany();
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key.hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
        for (const stored of Object.values(key).map(String)) {
          for (let at = 0; at + 8 <= API_KEY.length; at++)
            expect(stored).not.toContain(API_KEY.slice(at, at + 8));
        }
      }
    });

    it('accepts the key again and again, and refuses one that differs in its last character', async () => {
      for (let i = 0; i < 3; i++) expect((await api.request('GET', '/v1/clusters')).status).toBe(200);
      const wrong = `${API_KEY.slice(0, -1)}${API_KEY.endsWith('0') ? '1' : '0'}`;
      expect((await api.request('GET', '/v1/clusters', { key: wrong })).status).toBe(401);
      expect((await api.request('GET', '/v1/clusters', { key: 'x'.repeat(600) })).status).toBe(401);
    });
  });

  describe('POST /v1/clusters', () => {
    it('answers 202 with the cluster CREATING and its operation', async () => {
      const body = createBody({
        zones: ['az-a', 'az-b'],
        brokersPerZone: 2,
        nodeType: 'local.medium',
        storage: {
          volumeSizeGiB: 5,
          autoExpansion: { enabled: true, targetUtilizationPercent: 70, maxVolumeSizeGiB: 50, cooldown: 120 },
        },
        configuration: {
          'num.partitions': 6,
          'auto.create.topics.enable': false,
          'log.retention.hours': '48',
        },
        tags: { team: 'payments' },
      });
      const response = await api.request('POST', '/v1/clusters', { body });
      expect(response.status).toBe(202);
      const { cluster, operation } = response.body;
      expect(response.headers.get('location')).toBe(`/v1/clusters/${cluster.id}`);
      expect(cluster).toMatchObject({
        name: body.name,
        state: 'CREATING',
        provider: 'local',
        zones: ['az-a', 'az-b'],
        brokersPerZone: 2,
        numberOfBrokerNodes: 4,
        nodeType: 'local.medium',
        storage: {
          volumeSizeGiB: 5,
          autoExpansion: { enabled: true, targetUtilizationPercent: 70, maxVolumeSizeGiB: 50, cooldown: 120 },
        },
        configuration: {
          'num.partitions': '6',
          'auto.create.topics.enable': 'false',
          'log.retention.hours': '48',
        },
        tags: { team: 'payments' },
      });
      expect(cluster.currentVersion).toMatch(/^[0-9A-F]+$/);
      expect(operation).toMatchObject({
        clusterId: cluster.id,
        type: 'CREATE_CLUSTER',
        state: 'PENDING',
        error: null,
      });
      expect(operation.steps.map((s: { name: string }) => s.name)).toEqual([
        'reserve-resources',
        'start-coordinators',
        'await-coordinators',
        'start-brokers',
        'await-brokers',
      ]);
      expect(operation.steps.every((s: { status: string }) => s.status === 'PENDING')).toBe(true);
    });

    it('fills in defaults: node type, auto-expansion, empty configuration and tags', async () => {
      const response = await api.request('POST', '/v1/clusters', { body: createBody() });
      expect(response.status).toBe(202);
      expect(response.body.cluster).toMatchObject({
        nodeType: 'local.small',
        storage: {
          volumeSizeGiB: 10,
          autoExpansion: {
            enabled: true,
            targetUtilizationPercent: 60,
            maxVolumeSizeGiB: 1000,
            cooldown: 60,
          },
        },
        configuration: {},
        tags: {},
      });
    });

    it.each([' 5 ', '5\n'])('stores the configuration value %j as the broker reads it: 5', async (value) => {
      const response = await api.request('POST', '/v1/clusters', {
        body: createBody({ configuration: { 'num.partitions': value, 'compression.type': ' zstd ' } }),
      });
      expect(response.status, JSON.stringify(response.body)).toBe(202);
      expect(response.body.cluster.configuration).toEqual({
        'num.partitions': '5',
        'compression.type': 'zstd',
      });
      const described = await api.request('GET', `/v1/clusters/${response.body.cluster.id}`);
      expect(described.body.configuration).toEqual({
        'num.partitions': '5',
        'compression.type': 'zstd',
      });
    });

    const invalidBodies: [string, Record<string, unknown>, string, RegExp][] = [
      ['a name with spaces', { name: 'my cluster' }, 'body.name', /letters, digits and dashes/],
      ['a name too long', { name: 'x'.repeat(65) }, 'body.name', /1-64/],
      ['one zone', { zones: ['az-a'] }, 'body.zones', /2/],
      ['four zones', { zones: ['a', 'b', 'c', 'd'] }, 'body.zones', /3/],
      ['the same zone twice', { zones: ['az-a', 'az-a'] }, 'body.zones', /distinct zones/],
      ['a zone name in capitals', { zones: ['AZ-A', 'az-b'] }, 'body.zones.0', /zone name/],
      ['no brokers per zone', { brokersPerZone: 0 }, 'body.brokersPerZone', /1/],
      ['a fractional broker count', { brokersPerZone: 1.5 }, 'body.brokersPerZone', /expected int/],
      ['too many brokers per zone', { brokersPerZone: 16 }, 'body.brokersPerZone', /15/],
      ['a broker count as a string', { brokersPerZone: '1' }, 'body.brokersPerZone', /number/],
      ['no storage', { storage: undefined }, 'body.storage', /object/],
      ['an empty volume', { storage: { volumeSizeGiB: 0 } }, 'body.storage.volumeSizeGiB', /1/],
      ['a volume over 16 TiB', { storage: { volumeSizeGiB: 16385 } }, 'body.storage.volumeSizeGiB', /16384/],
      [
        'a target utilization under 10 %',
        { storage: { volumeSizeGiB: 10, autoExpansion: { targetUtilizationPercent: 5 } } },
        'body.storage.autoExpansion.targetUtilizationPercent',
        /10/,
      ],
      [
        'a target utilization over 80 %',
        { storage: { volumeSizeGiB: 10, autoExpansion: { targetUtilizationPercent: 81 } } },
        'body.storage.autoExpansion.targetUtilizationPercent',
        /80/,
      ],
      [
        'a cooldown over six hours',
        { storage: { volumeSizeGiB: 10, autoExpansion: { cooldown: 21601 } } },
        'body.storage.autoExpansion.cooldown',
        /21600/,
      ],
      [
        'an unknown auto-expansion setting',
        { storage: { volumeSizeGiB: 10, autoExpansion: { step: 5 } } },
        'body.storage.autoExpansion',
        /step/,
      ],
      ['an unknown field', { color: 'blue' }, 'body', /color/],
      [
        'an unknown broker setting',
        { configuration: { 'log.dirs': '/tmp' } },
        'body.configuration.log.dirs',
        /not a broker setting/,
      ],
      [
        'a setting breaking its rule',
        { configuration: { 'num.partitions': 0 } },
        'body.configuration.num.partitions',
        /below the minimum 1/,
      ],
      [
        'a setting the broker cannot read',
        { configuration: { 'num.partitions': '5 partitions' } },
        'body.configuration.num.partitions',
        /not an int/,
      ],
      [
        'a setting of the wrong kind',
        { configuration: { 'delete.topic.enable': 'yes' } },
        'body.configuration.delete.topic.enable',
        /true or false/,
      ],
      ['a tag value too long', { tags: { team: 'x'.repeat(257) } }, 'body.tags.team', /256/],
      ['a tag key too long', { tags: { ['k'.repeat(129)]: 'v' } }, `body.tags.${'k'.repeat(129)}`, /key/],
      [
        'more than 50 tags',
        { tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`tag-${i}`, 'v'])) },
        'body.tags',
        /at most 50 tags/,
      ],
    ];
    it.each(invalidBodies)(
      'refuses %s with a 400 problem naming the field',
      async (_what, overrides, field, rule) => {
        const before = await clusterCount();
        const response = await api.request('POST', '/v1/clusters', { body: createBody(overrides) });
        expectProblem(response, 400, field, rule);
        expect(await clusterCount()).toBe(before);
      },
    );

    it('refuses rules across fields, naming the field', async () => {
      const before = await clusterCount();
      expectProblem(
        await api.request('POST', '/v1/clusters', { body: createBody({ nodeType: 'm5.large' }) }),
        400,
        'nodeType',
        /local\.small/,
      );
      expectProblem(
        await api.request('POST', '/v1/clusters', {
          body: createBody({ storage: { volumeSizeGiB: 100, autoExpansion: { maxVolumeSizeGiB: 50 } } }),
        }),
        400,
        'storage.autoExpansion.maxVolumeSizeGiB',
        /at least storage.volumeSizeGiB/,
      );
      expectProblem(
        await api.request('POST', '/v1/clusters', {
          body: createBody({ zones: ['az-a', 'az-b'], configuration: { 'default.replication.factor': 3 } }),
        }),
        400,
        'configuration.default.replication.factor',
        /number of brokers \(2\)/,
      );
      expectProblem(
        await api.request('POST', '/v1/clusters', {
          body: createBody({ configuration: { 'default.replication.factor': 2, 'min.insync.replicas': 3 } }),
        }),
        400,
        'configuration.min.insync.replicas',
        /replication factor \(2\)/,
      );
      expect(await clusterCount()).toBe(before);
    });

    it('refuses a body that is not JSON, or too large', async () => {
      expectProblem(
        await api.request('POST', '/v1/clusters', { rawBody: '{"name": ' }),
        400,
        'body',
        /not valid JSON/,
      );
      const large = await api.request('POST', '/v1/clusters', {
        rawBody: JSON.stringify({ name: 'x'.repeat(300_000) }),
      });
      expectProblem(large, 413, 'body', /too large/);
    });

    it('answers a streamed body over 256 KiB with a 413 problem once it has read it, not a reset', async () => {
      const before = await clusterCount();
      const body = JSON.stringify(createBody({ tags: { padding: 'p'.repeat(300_000) } }));
      const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
      const answer = await rawRequest(
        api.controlPlane.url,
        `POST /v1/clusters HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${API_KEY}\r\n` +
          `content-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n` +
          `${chunk(body.slice(0, 100_000))}${chunk(body.slice(100_000))}0\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
      expect(answer.toLowerCase()).toContain('content-type: application/problem+json');
      expect(await clusterCount()).toBe(before);
    });

    it('refuses a second cluster of the same name with 409', async () => {
      const { name } = await create();
      const before = await clusterCount();
      expectProblem(
        await api.request('POST', '/v1/clusters', { body: createBody({ name }) }),
        409,
        'name',
        /already exists/,
      );
      expect(await clusterCount()).toBe(before);
    });
  });

  describe('GET /v1/clusters', () => {
    it('pages through every cluster once', async () => {
      for (let i = 0; i < 5; i++) await create({ name: `paged-${i}` });
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const response = await api.request(
          'GET',
          `/v1/clusters?maxResults=2&name=paged-${token ? `&nextToken=${token}` : ''}`,
        );
        expect(response.status).toBe(200);
        expect(response.body.clusters.length).toBeLessThanOrEqual(2);
        seen.push(...response.body.clusters.map((c: { name: string }) => c.name));
        token = response.body.nextToken;
        pages++;
      } while (token);
      expect(pages).toBe(3);
      expect(seen.sort()).toEqual(['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4']);
    });

    it('filters by state and by name prefix', async () => {
      const active = await create({ name: 'filter-active' });
      await activate(active.id);
      await create({ name: 'filter-creating' });
      const byName = await api.request('GET', '/v1/clusters?name=filter-');
      expect(byName.body.clusters.map((c: { name: string }) => c.name).sort()).toEqual([
        'filter-active',
        'filter-creating',
      ]);
      const activeOnes = await api.request('GET', '/v1/clusters?state=ACTIVE&name=filter-');
      expect(activeOnes.body.clusters.map((c: { name: string }) => c.name)).toEqual(['filter-active']);
      const all = await api.request('GET', '/v1/clusters?state=ACTIVE&maxResults=100');
      expect(all.body.clusters.every((c: { state: string }) => c.state === 'ACTIVE')).toBe(true);
    });

    it.each([
      ['maxResults=0', 'query.maxResults'],
      ['maxResults=101', 'query.maxResults'],
      ['maxResults=many', 'query.maxResults'],
      ['state=RUNNING', 'query.state'],
      ['color=blue', 'query'],
    ])('refuses the query %s with a 400 problem', async (query, field) => {
      expectProblem(await api.request('GET', `/v1/clusters?${query}`), 400, field);
    });
  });

  describe('GET /v1/clusters/:id and its sub-resources', () => {
    it('describes a cluster: nodes by zone, storage per broker, active operation', async () => {
      const { id } = await create({ zones: ['az-a', 'az-b'], brokersPerZone: 1 });
      const creating = await api.request('GET', `/v1/clusters/${id}`);
      expect(creating.status).toBe(200);
      expect(creating.body.activeOperation).toMatchObject({ type: 'CREATE_CLUSTER', state: 'PENDING' });
      await activate(id);
      const volume = (await api.repository.volumes(id))[0]!;
      await api.repository.addUsageSample(volume.id, 123_456, 10 * 1024 ** 3);
      const described = await api.request('GET', `/v1/clusters/${id}`);
      expect(described.body.state).toBe('ACTIVE');
      expect(described.body.activeOperation).toBeNull();
      expect(described.body.nodesByZone['az-a']).toEqual([
        {
          role: 'broker',
          zone: 'az-a',
          brokerId: 1,
          coordinatorIndex: null,
          state: 'RUNNING',
          endpoint: '127.0.0.1:1',
        },
      ]);
      expect(described.body.nodesByZone['az-b'][0]).toMatchObject({ brokerId: 2 });
      expect(described.body.brokerStorage).toEqual([
        {
          brokerId: 1,
          zone: 'az-a',
          volumeSizeGiB: 10,
          usedBytes: 123_456,
          capacityBytes: 10 * 1024 ** 3,
          lastExpandedAt: null,
        },
        {
          brokerId: 2,
          zone: 'az-b',
          volumeSizeGiB: 10,
          usedBytes: null,
          capacityBytes: null,
          lastExpandedAt: null,
        },
      ]);
    });

    it('lists nodes, and gives bootstrap brokers once brokers run', async () => {
      const { id } = await create();
      expectProblem(
        await api.request('GET', `/v1/clusters/${id}/bootstrap-brokers`),
        409,
        'state',
        /no running brokers/,
      );
      expect((await api.request('GET', `/v1/clusters/${id}/nodes`)).body).toEqual({ nodes: [] });
      await activate(id);
      const bootstrap = await api.request('GET', `/v1/clusters/${id}/bootstrap-brokers`);
      expect(bootstrap.body).toEqual({ bootstrapBrokerString: '127.0.0.1:1,127.0.0.1:1,127.0.0.1:1' });
      const nodes = await api.request('GET', `/v1/clusters/${id}/nodes`);
      expect(nodes.body.nodes.map((n: { brokerId: number }) => n.brokerId)).toEqual([1, 2, 3]);
    });

    it.each([
      ['GET', ''],
      ['GET', '/bootstrap-brokers'],
      ['GET', '/nodes'],
      ['GET', '/operations'],
      ['DELETE', ''],
    ])('answers %s on an unknown cluster%s with 404', async (method, suffix) => {
      expectProblem(
        await api.request(method, `/v1/clusters/no-such-cluster${suffix}`),
        404,
        'clusterId',
        /does not exist/,
      );
    });

    it('answers an unknown operation with 404', async () => {
      expectProblem(await api.request('GET', '/v1/operations/no-such-operation'), 404, 'operationId');
    });
  });

  describe('PUT /v1/clusters/:id/broker-count', () => {
    it('scales out an ACTIVE cluster: 202, UPDATING, a new version, the scale-out plan', async () => {
      const { id } = await create();
      const version = await activate(id);
      const response = await api.request('PUT', `/v1/clusters/${id}/broker-count`, {
        body: { currentVersion: version, targetBrokerCount: 6 },
      });
      expect(response.status).toBe(202);
      expect(response.body.cluster).toMatchObject({
        state: 'UPDATING',
        brokersPerZone: 2,
        numberOfBrokerNodes: 6,
      });
      expect(response.body.cluster.currentVersion).not.toBe(version);
      expect(response.body.operation).toMatchObject({
        type: 'UPDATE_BROKER_COUNT',
        sourceInfo: { brokerCount: 3 },
        targetInfo: { brokerCount: 6 },
      });
      expect(response.body.operation.steps.map((s: { name: string }) => s.name)).toEqual([
        'record-new-brokers',
        'start-brokers',
        'await-brokers',
        'rebalance-partitions',
      ]);
      // One mutating operation per cluster: the next change waits for ACTIVE.
      expectProblem(
        await api.request('PUT', `/v1/clusters/${id}/broker-count`, {
          body: { currentVersion: response.body.cluster.currentVersion, targetBrokerCount: 9 },
        }),
        409,
        'state',
        /UPDATING/,
      );
    });

    it('refuses a stale currentVersion with 409 and changes nothing', async () => {
      const { id } = await create();
      const version = await activate(id);
      expectProblem(
        await api.request('PUT', `/v1/clusters/${id}/broker-count`, {
          body: { currentVersion: 'STALE', targetBrokerCount: 6 },
        }),
        409,
        'currentVersion',
        /not the cluster's current version/,
      );
      const after = await api.request('GET', `/v1/clusters/${id}`);
      expect(after.body).toMatchObject({ state: 'ACTIVE', currentVersion: version, numberOfBrokerNodes: 3 });
    });

    it('refuses counts that are not a multiple of the zones, or unchanged', async () => {
      const { id } = await create();
      const version = await activate(id);
      const put = (body: unknown) => api.request('PUT', `/v1/clusters/${id}/broker-count`, { body });
      expectProblem(
        await put({ currentVersion: version, targetBrokerCount: 4 }),
        400,
        'targetBrokerCount',
        /multiple of the number of zones \(3\)/,
      );
      expectProblem(
        await put({ currentVersion: version, targetBrokerCount: 3 }),
        400,
        'targetBrokerCount',
        /already has 3/,
      );
      expectProblem(
        await put({ currentVersion: version, targetBrokerCount: 0 }),
        400,
        'body.targetBrokerCount',
      );
      expectProblem(await put({ targetBrokerCount: 6 }), 400, 'body.currentVersion');
      expect((await api.request('GET', `/v1/clusters/${id}`)).body.currentVersion).toBe(version);
    });

    it('answers a scale-in it cannot check against the topics with 503', async () => {
      const { id } = await create({ brokersPerZone: 2 });
      const version = await activate(id);
      const response = await api.request('PUT', `/v1/clusters/${id}/broker-count`, {
        body: { currentVersion: version, targetBrokerCount: 3 },
      });
      expectProblem(response, 503, 'targetBrokerCount', /could not be read/);
      expect((await api.request('GET', `/v1/clusters/${id}`)).body).toMatchObject({
        state: 'ACTIVE',
        currentVersion: version,
      });
    });

    it('refuses any change while the cluster is CREATING', async () => {
      const { id, version } = await create();
      expectProblem(
        await api.request('PUT', `/v1/clusters/${id}/broker-count`, {
          body: { currentVersion: version, targetBrokerCount: 6 },
        }),
        409,
        'state',
        /CREATING/,
      );
      expectProblem(
        await api.request('PUT', `/v1/clusters/${id}/storage`, {
          body: { currentVersion: version, volumeSizeGiB: 20 },
        }),
        409,
        'state',
      );
      expectProblem(
        await api.request('POST', `/v1/clusters/${id}/reboot-broker`, { body: { brokerId: 1 } }),
        409,
        'state',
      );
      expectProblem(await api.request('DELETE', `/v1/clusters/${id}`), 409, 'state', /ACTIVE or FAILED/);
    });
  });

  describe('PUT /v1/clusters/:id/storage', () => {
    it('grows volumes and changes auto-expansion', async () => {
      const { id } = await create();
      const version = await activate(id);
      const response = await api.request('PUT', `/v1/clusters/${id}/storage`, {
        body: {
          currentVersion: version,
          volumeSizeGiB: 20,
          autoExpansion: { enabled: false, targetUtilizationPercent: 50, maxVolumeSizeGiB: 40, cooldown: 0 },
        },
      });
      expect(response.status).toBe(202);
      expect(response.body.cluster).toMatchObject({
        state: 'UPDATING',
        storage: {
          volumeSizeGiB: 20,
          autoExpansion: { enabled: false, targetUtilizationPercent: 50, maxVolumeSizeGiB: 40, cooldown: 0 },
        },
      });
      expect(response.body.operation).toMatchObject({
        type: 'UPDATE_STORAGE',
        sourceInfo: { volumeSizeGiB: 10 },
        targetInfo: { volumeSizeGiB: 20 },
      });
    });

    it('only grows, and names the rule broken', async () => {
      const { id } = await create();
      const version = await activate(id);
      const put = (body: unknown) => api.request('PUT', `/v1/clusters/${id}/storage`, { body });
      expectProblem(
        await put({ currentVersion: version, volumeSizeGiB: 5 }),
        400,
        'volumeSizeGiB',
        /only grow/,
      );
      expectProblem(
        await put({ currentVersion: version, volumeSizeGiB: 10 }),
        400,
        'volumeSizeGiB',
        /already have 10/,
      );
      expectProblem(
        await put({ currentVersion: version, volumeSizeGiB: 2000 }),
        400,
        'autoExpansion.maxVolumeSizeGiB',
        /at least volumeSizeGiB/,
      );
      expectProblem(await put({ currentVersion: 'STALE', volumeSizeGiB: 20 }), 409, 'currentVersion');
      const after = await api.request('GET', `/v1/clusters/${id}`);
      expect(after.body).toMatchObject({
        state: 'ACTIVE',
        currentVersion: version,
        storage: { volumeSizeGiB: 10 },
      });
    });
  });

  describe('POST /v1/clusters/:id/reboot-broker', () => {
    it('reboots one broker of an ACTIVE cluster', async () => {
      const { id } = await create();
      await activate(id);
      const response = await api.request('POST', `/v1/clusters/${id}/reboot-broker`, {
        body: { brokerId: 2 },
      });
      expect(response.status).toBe(202);
      expect(response.body.cluster.state).toBe('REBOOTING_BROKER');
      expect(response.body.operation).toMatchObject({ type: 'REBOOT_BROKER', targetInfo: { brokerId: 2 } });
    });

    it('refuses a broker the cluster does not have', async () => {
      const { id } = await create();
      await activate(id);
      expectProblem(
        await api.request('POST', `/v1/clusters/${id}/reboot-broker`, { body: { brokerId: 9 } }),
        400,
        'brokerId',
        /1, 2, 3/,
      );
      expectProblem(
        await api.request('POST', `/v1/clusters/${id}/reboot-broker`, { body: {} }),
        400,
        'body.brokerId',
      );
    });
  });

  describe('FAILED clusters and deletion', () => {
    it('allows only deletion of a FAILED cluster', async () => {
      const { id } = await create();
      const version = await activate(id);
      await api.repository.setClusterState(id, 'FAILED', 'create-cluster: the broker would not start');
      const described = await api.request('GET', `/v1/clusters/${id}`);
      expect(described.body).toMatchObject({
        state: 'FAILED',
        stateInfo: 'create-cluster: the broker would not start',
      });
      expectProblem(
        await api.request('PUT', `/v1/clusters/${id}/broker-count`, {
          body: { currentVersion: version, targetBrokerCount: 6 },
        }),
        409,
        'state',
        /FAILED/,
      );
      expectProblem(
        await api.request('POST', `/v1/clusters/${id}/reboot-broker`, { body: { brokerId: 1 } }),
        409,
        'state',
      );
      const deleted = await api.request('DELETE', `/v1/clusters/${id}`);
      expect(deleted.status).toBe(202);
      expect(deleted.body.cluster.state).toBe('DELETING');
      expect(deleted.body.operation.type).toBe('DELETE_CLUSTER');
      expectProblem(await api.request('DELETE', `/v1/clusters/${id}`), 409, 'state', /DELETING/);
    });
  });

  describe('operations', () => {
    it("lists a cluster's operations newest first, page by page, each with its steps", async () => {
      const { id } = await create();
      await activate(id);
      for (const brokerId of [1, 2, 3]) {
        const started = await api.request('POST', `/v1/clusters/${id}/reboot-broker`, { body: { brokerId } });
        expect(started.status).toBe(202);
        await api.repository.finishOperation(started.body.operation.id, 'SUCCEEDED');
        await api.repository.setClusterState(id, 'ACTIVE');
      }
      const seen: { type: string; targetInfo: { brokerId?: number } }[] = [];
      let token: string | undefined;
      do {
        const page = await api.request(
          'GET',
          `/v1/clusters/${id}/operations?maxResults=1${token ? `&nextToken=${token}` : ''}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.operations).toHaveLength(1);
        seen.push(...page.body.operations);
        token = page.body.nextToken;
      } while (token);
      expect(seen.map((o) => o.type)).toEqual([
        'REBOOT_BROKER',
        'REBOOT_BROKER',
        'REBOOT_BROKER',
        'CREATE_CLUSTER',
      ]);
      expect(seen.slice(0, 3).map((o) => o.targetInfo.brokerId)).toEqual([3, 2, 1]);

      const one = await api.request('GET', `/v1/operations/${(seen[0] as unknown as { id: string }).id}`);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ clusterId: id, type: 'REBOOT_BROKER', state: 'SUCCEEDED' });
      expect(one.body.steps.map((s: { name: string; position: number }) => [s.position, s.name])).toEqual([
        [0, 'restart-broker'],
        [1, 'await-brokers'],
      ]);
      expect(one.body.finishedAt).not.toBeNull();
    });

    it('refuses a nextToken it did not give', async () => {
      const { id } = await create();
      expectProblem(
        await api.request('GET', `/v1/clusters/${id}/operations?nextToken=forged`),
        400,
        'nextToken',
      );
    });
  });
});

/** Sends `text` on a new connection to `baseUrl`; everything answered before the connection closes. */
function rawRequest(baseUrl: string, text: string): Promise<string> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => (answer += data));
    socket.on('end', () => resolve(answer));
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
  });
}
