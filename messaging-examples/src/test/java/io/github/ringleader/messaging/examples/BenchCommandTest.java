package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A short, small bench run in-process over real UDP multicast on the loopback interface. */
class BenchCommandTest {

  @Test
  void smallBenchDeliversEverythingAndReports() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int status =
        Main.run(
            List.of(
                "bench", "--servers", "3", "--clients", "6", "--seconds", "2", "--rate", "100",
                "--size", "50"),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));

    String shown = out.toString(StandardCharsets.UTF_8);
    assertThat(status).as(shown + err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(shown)
        .contains("broadcasts sent           200")
        .contains("deliveries                1200 (expected 1200 = 200 x 6)")
        .contains("delivered/s")
        .containsPattern("broadcast latency \\(ms\\) +p50 [0-9.]+  p99 [0-9.]+  p99\\.9 [0-9.]+  max")
        .containsPattern("private RTT \\(ms\\) +p50 [0-9.]+  p99 [0-9.]+  p99\\.9 [0-9.]+  max")
        .contains("OK: every accepted broadcast reached all 6 clients.")
        .doesNotContain("FAILED");
  }

  @Test
  void badOptionsExitTwoWithUsage() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int status =
        Main.run(
            List.of("bench", "--rate", "9000"),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--rate must be in 1..5000, was 9000")
        .contains("usage: java -jar messaging-examples.jar bench");
  }
}
