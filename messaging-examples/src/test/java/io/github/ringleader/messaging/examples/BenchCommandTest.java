package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Short, small bench runs over real sockets on the loopback interface: in-process, against child
 * server processes, and against servers already running; and the command line's refusals.
 */
class BenchCommandTest {

  private record Run(int status, String out, String err) {
    String all() {
      return out + err;
    }
  }

  private static Run bench(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> command = new ArrayList<>(List.of("bench"));
    command.addAll(List.of(args));
    int status = Main.run(
        command,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** The per-subscriber lines of a report: name, server, received, lost, doubled, out of order, unexpected. */
  private static final Pattern SUBSCRIBER = Pattern.compile(
      "(?m)^  ([fs]sub\\d+\\.\\w+) +(server\\d) +(\\d+) +(\\d+) +(\\d+) +(\\d+) +(\\d+)$");

  @Test
  void everyScenarioAgainstChildProcessesLosesAndDoublesNothingAndReapsThem() {
    Run run = bench(
        "--processes",
        "--scenario",
        "all",
        "--seconds",
        "2",
        "--count",
        "400",
        "--window",
        "50",
        "--rate",
        "100",
        "--ping-rate",
        "50");

    assertThat(run.status()).as(run.all()).isZero();
    assertThat(run.out())
        .contains("starting 3 server processes")
        .containsPattern("Servers agree on leader server\\d")
        .contains("OK fan-out: all 400 accepted messages reached all 6 subscribers once, in order.")
        .contains("OK steady: all 200 accepted messages reached all 6 subscribers once, in order.")
        .contains("OK round trip: all 100 pings answered once, in order.")
        .containsPattern("accepted +400 \\([0-9.]+/s")
        .containsPattern("deliveries/s +[0-9.]+")
        .containsPattern("latency \\(ms\\) +p50 [0-9.]+  p99 [0-9.]+  p99\\.9 [0-9.]+  max")
        .containsPattern("on other servers +p50 [0-9.]+")
        .containsPattern("RTT \\(ms\\) +p50 [0-9.]+  p99 [0-9.]+")
        .containsPattern("pings at pong\\.\\w+ +received 100, lost 0, doubled 0, out of order 0")
        .contains("Server processes stopped.")
        .doesNotContain("FAILED");
    Matcher m = SUBSCRIBER.matcher(run.out());
    int rows = 0;
    java.util.Set<String> servers = new java.util.HashSet<>();
    while (m.find()) {
      rows++;
      servers.add(m.group(2));
      assertThat(m.group(4) + " " + m.group(5) + " " + m.group(6) + " " + m.group(7))
          .as("lost, doubled, out of order, unexpected of %s", m.group(1))
          .isEqualTo("0 0 0 0");
    }
    assertThat(rows).as(run.out()).isEqualTo(12); // 6 subscribers, fan-out and steady
    assertThat(servers).containsExactlyInAnyOrder("server1", "server2", "server3");
    // Every child was stopped and reaped before bench returned.
    assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive).count())
        .isZero();
  }

  @Test
  void fanOutAgainstRunningServers() throws Exception {
    String cluster = "benchconnect" + ProcessHandle.current().pid();
    int group = ServerProcesses.freeUdpPort();
    try (ServerProcesses processes = new ServerProcesses()) {
      List<String> addresses = new ArrayList<>();
      for (int i = 1; i <= 2; i++) {
        int port = ServerProcesses.freeTcpPort();
        processes.start(
            "server" + i,
            port,
            "--heartbeat",
            "200ms",
            "--mcast-port",
            String.valueOf(group),
            "--cluster",
            cluster);
        addresses.add("127.0.0.1:" + port);
      }
      ServerProcesses.await(
          () -> processes.servers().stream().allMatch(s -> s.logged("clients connect on")),
          Duration.ofSeconds(30),
          "both servers to accept clients");

      Run run = bench(
          "--connect",
          String.join(",", addresses),
          "--scenario",
          "fanout",
          "--seconds",
          "2",
          "--count",
          "300",
          "--window",
          "20");

      assertThat(run.status()).as(run.all()).isZero();
      assertThat(run.out())
          .contains("Ringleader bench against running servers " + String.join(", ", addresses))
          .contains(
              "OK fan-out: all 300 accepted messages reached all 4 subscribers once, in order.")
          .doesNotContain("FAILED");
    }
  }

  @Test
  void badScenarioFlagsAreRefusedWithAReason() {
    Run unknown = bench("--scenario", "fastest");
    assertThat(unknown.status()).isEqualTo(2);
    assertThat(unknown.err())
        .contains(
            "error: --scenario must be one of mixed, fanout, steady, rtt, all, was \"fastest\"")
        .contains("usage: java -jar messaging-examples.jar bench");

    Run both = bench("--processes", "--connect", "127.0.0.1:5001");
    assertThat(both.status()).isEqualTo(2);
    assertThat(both.err())
        .contains(
            "error: --processes starts servers, --connect uses running ones: give one of them");

    Run address = bench("--connect", "127.0.0.1");
    assertThat(address.status()).isEqualTo(2);
    assertThat(address.err())
        .contains("error: --connect takes host:port[,host:port...], was \"127.0.0.1\"");

    Run mixedWindow = bench("--window", "10");
    assertThat(mixedWindow.status()).isEqualTo(2);
    assertThat(mixedWindow.err())
        .contains("error: --window applies to --scenario fanout, steady, rtt or all, not to mixed");

    Run clients = bench("--scenario", "fanout", "--clients", "5");
    assertThat(clients.status()).isEqualTo(2);
    assertThat(clients.err()).contains("error: --clients applies to --scenario mixed only");

    Run steadyRate = bench("--scenario", "steady", "--rate", "2000000");
    assertThat(steadyRate.status()).isEqualTo(2);
    assertThat(steadyRate.err()).contains("error: --rate must be in 1..1000000, was 2000000");
    assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive).count())
        .isZero();
  }

  @Test
  void smallBenchDeliversEverythingAndReports() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int status = Main.run(
        List.of(
            "bench",
            "--servers",
            "3",
            "--clients",
            "6",
            "--seconds",
            "2",
            "--rate",
            "100",
            "--size",
            "50"),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    String shown = out.toString(StandardCharsets.UTF_8);
    assertThat(status).as(shown + err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(shown)
        .contains("broadcasts sent           200")
        .contains("deliveries                1200 (expected 1200 = 200 x 6)")
        .contains("delivered/s")
        .containsPattern(
            "broadcast latency \\(ms\\) +p50 [0-9.]+  p99 [0-9.]+  p99\\.9 [0-9.]+  max")
        .containsPattern("private RTT \\(ms\\) +p50 [0-9.]+  p99 [0-9.]+  p99\\.9 [0-9.]+  max")
        .contains("OK: every accepted broadcast reached all 6 clients.")
        .doesNotContain("FAILED");
  }

  @Test
  void badOptionsExitTwoWithUsage() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int status = Main.run(
        List.of("bench", "--rate", "9000"),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(status).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--rate must be in 1..5000, was 9000")
        .contains("usage: java -jar messaging-examples.jar bench");
  }
}
