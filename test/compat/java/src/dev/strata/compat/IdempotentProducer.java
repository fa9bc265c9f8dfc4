package dev.strata.compat;

import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces values "prefix-0", "prefix-1", ... with the Java producer's defaults (idempotence on,
 * acks=all), printing "ACK <partition> <offset> <value>" for each acknowledged record. With
 * count = -1 it produces until killed.
 *
 * Usage: IdempotentProducer <bootstrap> <topic> <count> <prefix> [key=value ...]
 */
public final class IdempotentProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    long count = Long.parseLong(args[2]);
    String prefix = args[3];
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    for (int i = 4; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      props.put(kv[0], kv[1]);
    }
    AtomicLong failures = new AtomicLong();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      for (long i = 0; count < 0 || i < count; i++) {
        String value = prefix + "-" + i;
        producer.send(new ProducerRecord<>(topic, null, value), (metadata, error) -> {
          if (error != null) {
            failures.incrementAndGet();
            System.out.println("FAIL " + value + " " + error);
          } else {
            System.out.println("ACK " + metadata.partition() + " " + metadata.offset() + " " + value);
          }
          System.out.flush();
        });
        if (count < 0 && i % 50 == 0) Thread.sleep(1);
      }
      producer.flush();
    }
    System.out.println("DONE failures=" + failures.get());
  }
}
