package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --http-port} and {@code --http-host}: parsed, documented, and refused clearly. */
class HttpOptionsTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(
        List.of(args),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theOptionsAreTakenOutOfTheArgumentsWithTheirValues() throws UsageException {
    HttpOptions http = new HttpOptions();
    List<String> args = new ArrayList<>(
        List.of("server1", "--http-port", "8080", "5001", "--http-host", "0.0.0.0"));

    http.takeFrom(args);

    assertThat(args).containsExactly("server1", "5001");
    assertThat(http.port).isEqualTo(8080);
    assertThat(http.host).isEqualTo("0.0.0.0");
    assertThat(http.enabled()).isTrue();
  }

  @Test
  void byDefaultThereIsNoHttpAndItWouldListenOnLoopback() throws UsageException {
    HttpOptions http = new HttpOptions();
    http.takeFrom(new ArrayList<>(List.of("server1", "5001")));

    assertThat(http.enabled()).isFalse();
    assertThat(http.host).isEqualTo("127.0.0.1");
  }

  @Test
  void theServerHelpListsTheOptions() {
    assertThat(run("server", "--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--http-port <port>")
        .contains("--http-host <address>");
  }

  @Test
  void aPortThatIsNotANumberIsRefusedWithExit2() {
    assertThat(run("server", "server1", "5001", "--http-port", "abc")).isEqualTo(2);
    assertThat(err()).startsWith("error: --http-port takes a whole number, was \"abc\"\n");
  }

  @Test
  void aPortOutOfRangeOrMissingIsRefusedWithExit2() {
    assertThat(run("server", "server1", "5001", "--http-port", "70000")).isEqualTo(2);
    assertThat(err()).contains("error: --http-port must be in 0..65535, was 70000");
    assertThat(run("server", "server1", "5001", "--http-port")).isEqualTo(2);
    assertThat(err()).contains("error: --http-port needs a value");
  }

  @Test
  void anUnknownHostIsNamedInOneLineWithExit1() {
    int status = run(
        "server",
        "server1",
        "5001",
        "--http-port",
        "1",
        "--http-host",
        "no-such-host.invalid",
        "--cluster",
        "http-unknown");

    assertThat(status).isEqualTo(1);
    assertThat(err())
        .isEqualTo("error: cannot serve HTTP on no-such-host.invalid:1: unknown host\n");
  }

  @Test
  void aTakenPortStopsTheServerBeforeItJoinsWithOneLineAndExit1() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();

      int status = run(
          "server",
          "server1",
          "5001",
          "--http-port",
          String.valueOf(port),
          "--cluster",
          "http-taken");

      assertThat(status).isEqualTo(1);
      assertThat(err()).startsWith("error: cannot serve HTTP on 127.0.0.1:" + port + ": ");
      assertThat(err().lines()).hasSize(1);
    }
  }
}
