package dev.strata.compat;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a partition with assign/seek (no consumer group), printing "<offset> <key> <value>" for
 * each record until it has `count` records (or, with count "all", until it reaches the partition's
 * end offset as of the start) or `timeoutMs` passes.
 *
 * Usage: AssignSeekConsumer <bootstrap> <topic> <partition> <offset|earliest|latest> <count|all> <timeoutMs>
 */
public final class AssignSeekConsumer {
  public static void main(String[] args) {
    String bootstrap = args[0];
    TopicPartition tp = new TopicPartition(args[1], Integer.parseInt(args[2]));
    String start = args[3];
    boolean toEnd = args[4].equals("all");
    long count = toEnd ? Long.MAX_VALUE : Long.parseLong(args[4]);
    long deadline = System.currentTimeMillis() + Long.parseLong(args[5]);
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    long seen = 0;
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      consumer.assign(List.of(tp));
      switch (start) {
        case "earliest" -> consumer.seekToBeginning(List.of(tp));
        case "latest" -> consumer.seekToEnd(List.of(tp));
        default -> consumer.seek(tp, Long.parseLong(start));
      }
      long end = toEnd ? consumer.endOffsets(List.of(tp)).get(tp) : Long.MAX_VALUE;
      while (seen < count && System.currentTimeMillis() < deadline && (!toEnd || consumer.position(tp) < end)) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          if (seen == count) break;
          System.out.println(r.offset() + " " + r.key() + " " + r.value());
          seen++;
        }
      }
      System.out.println("POSITION " + consumer.position(tp));
    }
  }
}
