// Produce three records and read them back in a consumer group, with kafkajs.
// Run against `npm run broker` (or BOOTSTRAP=<a cluster's bootstrap brokers>): node examples/kafkajs-quickstart.mjs
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const kafka = new Kafka({
  clientId: 'quickstart',
  brokers: (process.env.BOOTSTRAP ?? '127.0.0.1:9092').split(','),
  logLevel: logLevel.ERROR,
});

const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: 'quickstart', numPartitions: 3 }] });
await admin.disconnect();

const producer = kafka.producer();
await producer.connect();
await producer.send({
  topic: 'quickstart',
  acks: -1,
  messages: [
    { key: 'user-1', value: 'signed up', headers: { source: 'web' } },
    { key: 'user-2', value: 'signed up' },
    { key: 'user-1', value: 'logged in' },
  ],
});
await producer.disconnect();

const consumer = kafka.consumer({ groupId: 'quickstart-readers' });
await consumer.connect();
await consumer.subscribe({ topic: 'quickstart', fromBeginning: true });
let seen = 0;
await new Promise((resolve) => {
  consumer.run({
    eachMessage: async ({ partition, message }) => {
      console.log(`partition ${partition} offset ${message.offset}: ${message.key} ${message.value}`);
      if (++seen === 3) resolve();
    },
  });
});
await consumer.disconnect();
