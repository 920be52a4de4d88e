package io.github.ringleader.messaging.examples.readme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.examples.LoopbackCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README's Java samples compile and run: every {@code ```java} block of README.md must
 * appear (whitespace aside) in a class of this folder, which the build compiles, and the client
 * and simulation samples are run — the client one against a real cluster on loopback.
 */
class ReadmeCodeSamplesTest {
  private static final Path README = Path.of("..", "README.md");
  private static final Path SAMPLES = Path.of(
      "src", "test", "java", "io", "github", "ringleader", "messaging", "examples", "readme");
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);

  @Test
  void everyJavaBlockOfTheReadmeIsInACompiledSample() throws IOException {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    List<String> blocks = new ArrayList<>();
    Matcher m = JAVA_BLOCK.matcher(readme);
    while (m.find()) {
      blocks.add(m.group(1));
    }
    assertThat(blocks).as("README.md has java blocks").isNotEmpty();

    Map<String, String> samples = new TreeMap<>();
    try (Stream<Path> files = Files.list(SAMPLES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        samples.put(
            file.getFileName().toString(),
            normalised(Files.readString(file, StandardCharsets.UTF_8)));
      }
    }
    List<String> missing = new ArrayList<>();
    for (String block : blocks) {
      String wanted = normalised(block);
      if (samples.values().stream().noneMatch(text -> text.contains(wanted))) {
        missing.add(block);
      }
    }
    assertThat(missing)
        .as(
            "README java blocks found in none of %s (copy each into a sample there, as it is)",
            samples.keySet())
        .isEmpty();
  }

  @Test
  void theClientSampleRunsAgainstALoopbackCluster() throws Exception {
    try (LoopbackCluster cluster = new LoopbackCluster(2)) {
      List<ReceivedMessage> heard = new CopyOnWriteArrayList<>();
      try (MessagingClient listener = MessagingClient.builder()
          .address("127.0.0.1", cluster.port(2))
          .name("listener")
          .messageListener(new io.github.ringleader.messaging.client.MessageListener() {
            @Override
            public void onMessage(ReceivedMessage message) {
              heard.add(message);
            }
          })
          .balance(false)
          .connect()) {
        assertThatCode(() -> ClientSample.run("127.0.0.1", cluster.port(1)))
            .doesNotThrowAnyException();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (heard.size() < 2 && System.nanoTime() - deadline < 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
        assertThat(heard)
            .extracting(ReceivedMessage::from, ReceivedMessage::text)
            .as("what alice broadcast")
            .containsExactly(
                org.assertj.core.groups.Tuple.tuple("alice", "Hello everyone!"),
                org.assertj.core.groups.Tuple.tuple("alice", "no answer needed"));
      }
    }
  }

  @Test
  void theSimulationSampleRunsInVirtualTime() {
    assertThatCode(SimulationSample::run).doesNotThrowAnyException();
  }

  /**
   * The text without any whitespace, so that layout does not count: the formatter breaks and
   * indents the samples' lines its own way, and the README keeps them short and aligned.
   */
  private static String normalised(String text) {
    return text.replaceAll("\\s+", "");
  }
}
