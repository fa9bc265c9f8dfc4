// A kafkajs group member in its own process, so a test can kill it like a crashed consumer.
// Prints one JSON line per event: {"event":"joined"}, {"event":"record",...}, {"event":"stopped"}.
// Usage: node kafkajs-member.mjs <bootstrap> <groupId> <topic> <sessionTimeoutMs>
import kafkajs from 'kafkajs';

const [bootstrap, groupId, topic, sessionTimeout] = process.argv.slice(2);
const { Kafka, logLevel } = kafkajs;
const kafka = new Kafka({
  clientId: `member-${process.pid}`,
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
});
const consumer = kafka.consumer({
  groupId,
  sessionTimeout: Number(sessionTimeout),
  heartbeatInterval: 500,
  rebalanceTimeout: 30000,
});
const print = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
  print({ event: 'joined', memberId: payload.memberId, assignment: payload.memberAssignment[topic] ?? [] }),
);
// Installed first, so a SIGTERM at any moment leaves the group cleanly.
process.on('SIGTERM', async () => {
  await consumer.disconnect();
  print({ event: 'stopped' });
  process.exit(0);
});
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommitInterval: 100,
  eachMessage: async ({ partition, message }) =>
    print({ event: 'record', partition, offset: Number(message.offset), value: message.value.toString() }),
});
