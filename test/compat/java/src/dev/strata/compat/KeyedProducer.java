package dev.strata.compat;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends records "0", "1", ... to partition 0 in one batch, keyed "k<i>" except those whose index
 * is listed as keyless, and prints the outcome of each: "OK <index> <offset>" or
 * "ERR <index> <exception class> <message>".
 *
 * Usage: KeyedProducer <bootstrap> <topic> <count> <keyless index,...> [key=value ...]
 */
public final class KeyedProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    int count = Integer.parseInt(args[2]);
    List<Integer> keyless = new ArrayList<>();
    for (String i : args[3].split(",")) if (!i.isEmpty()) keyless.add(Integer.parseInt(i));
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    // One batch for all the records: sent when the producer is flushed.
    props.put(ProducerConfig.LINGER_MS_CONFIG, "60000");
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, "1048576");
    for (int i = 4; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      props.put(kv[0], kv[1]);
    }
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        String key = keyless.contains(i) ? null : "k" + i;
        sent.add(producer.send(new ProducerRecord<>(topic, 0, key, String.valueOf(i))));
      }
      producer.flush();
      for (int i = 0; i < count; i++) {
        try {
          System.out.println("OK " + i + " " + sent.get(i).get().offset());
        } catch (java.util.concurrent.ExecutionException e) {
          Throwable cause = e.getCause();
          System.out.println("ERR " + i + " " + cause.getClass().getSimpleName() + " " + cause.getMessage());
        }
      }
    }
  }
}
