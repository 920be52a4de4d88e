package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Short, small failover measurements in-process over real UDP multicast on the loopback interface:
 * the report's shape and the exit status, not the times measured.
 */
class FailoverCommandTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int failover(String... args) {
    List<String> command = new java.util.ArrayList<>(List.of("failover"));
    command.addAll(List.of(args));
    return Main.run(
        command,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private static final String[] FAST = {
    "--runs",
    "2",
    "--clients",
    "6",
    "--heartbeat",
    "100ms",
    "--missed",
    "3",
    "--ping-interval",
    "100ms",
    "--ping-timeout",
    "500ms"
  };

  private void assertReport(String verb, String mode) {
    String shown = out.toString(StandardCharsets.UTF_8);
    assertThat(shown)
        .as(shown + err.toString(StandardCharsets.UTF_8))
        .contains("Mode " + mode
            + ", 2 runs, 6 clients a run; heartbeat 100ms x 3 missed, client ping 100ms"
            + " / timeout 500ms, join timeout 5s, resume timeout 15s")
        .containsPattern("run 1: " + verb
            + " server1 \\((leader|follower)\\) with 2 clients: 2 resumed, 0 ended, 0 joined afresh;"
            + " last resumed after [0-9.]+ ms \\(first after [0-9.]+ ms\\)")
        .containsPattern(
            "run 2: " + verb
                + " server2 \\((leader|follower)\\) with 2 clients: 2 resumed, 0 ended, 0 joined afresh;")
        .contains("Report (" + mode + ", 2 runs)")
        .containsPattern(
            "last client resumed \\(ms\\)  median [0-9.]+  max [0-9.]+  \\(over 2 runs\\)")
        .contains("resumed, ended            4, 0 (of 4 clients of lost servers)")
        .contains("OK: every run finished.")
        .doesNotContain("FAILED");
  }

  @Test
  void crashRunsReportTheirClientsResumed() {
    int status = failover(FAST);

    assertThat(status).as(out.toString(StandardCharsets.UTF_8)).isZero();
    assertReport("crashed", "crash");
  }

  @Test
  void stopRunsReportTheirClientsResumed() {
    List<String> args = new java.util.ArrayList<>(List.of(FAST));
    args.addAll(List.of("--mode", "stop"));

    int status = failover(args.toArray(String[]::new));

    assertThat(status).as(out.toString(StandardCharsets.UTF_8)).isZero();
    assertReport("stopped", "stop");
  }

  @Test
  void badModeExitsTwoWithUsage() {
    int status = failover("--mode", "pause");

    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--mode takes crash or stop, was \"pause\"")
        .contains("usage: java -jar messaging-examples.jar failover");
  }

  @Test
  void pingTimeoutBelowPingIntervalIsRefused() {
    int status = failover("--ping-interval", "2s", "--ping-timeout", "1s");

    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--ping-timeout (1s) must be at least --ping-interval (2s)");
  }

  @Test
  void outOfRangeRunsAreRefused() {
    int status = failover("--runs", "0");

    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--runs must be in 1..100, was 0");
  }

  @Test
  void helpPrintsTheUsage() {
    int status = failover("--help");

    assertThat(status).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("usage: java -jar messaging-examples.jar failover")
        .contains("--mode crash|stop");
  }
}
