package dev.strata.compat;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A consumer group member with subscribe and auto-commit (the classic protocol): prints
 * "ASSIGNED <p,p,...>" / "REVOKED <p,p,...>" on rebalances and "RECORD <partition> <offset> <value>"
 * per record, until it has printed `count` records (-1: until SIGTERM) or `timeoutMs` passes, then
 * closes (committing its position, then leaving the group) and prints "CLOSED <records>".
 *
 * <p>Records a poll returned beyond `count` are not printed: their partitions are rewound to the
 * first of them before close, so the auto-commit on close covers exactly what was printed.
 *
 * <p>Usage: SubscribeConsumer <bootstrap> <group> <topic> <count> <timeoutMs> [key=value ...]
 */
public final class SubscribeConsumer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String group = args[1];
    String topic = args[2];
    long count = Long.parseLong(args[3]);
    long deadline = System.currentTimeMillis() + Long.parseLong(args[4]);
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "true");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    for (int i = 5; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      props.put(kv[0], kv[1]);
    }

    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
    Thread main = Thread.currentThread();
    Thread hook = new Thread(() -> {
      consumer.wakeup();
      try {
        main.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    Runtime.getRuntime().addShutdownHook(hook);

    long seen = 0;
    try {
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          print("ASSIGNED " + partitionList(partitions));
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
          print("REVOKED " + partitionList(partitions));
        }
      });
      while ((count < 0 || seen < count) && System.currentTimeMillis() < deadline) {
        Map<TopicPartition, Long> rewind = new HashMap<>();
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          if ((count >= 0 && seen == count) || rewind.containsKey(tp)) {
            rewind.putIfAbsent(tp, r.offset());
            continue;
          }
          print("RECORD " + r.partition() + " " + r.offset() + " " + r.value());
          seen++;
        }
        rewind.forEach(consumer::seek);
      }
    } catch (WakeupException e) {
      // SIGTERM: fall through to a clean close.
    } finally {
      consumer.close();
      print("CLOSED " + seen);
    }
  }

  private static String partitionList(Collection<TopicPartition> partitions) {
    return partitions.stream()
        .map(TopicPartition::partition)
        .sorted()
        .map(String::valueOf)
        .collect(Collectors.joining(","));
  }

  private static void print(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
