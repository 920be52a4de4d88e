package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's first command, run in-process over real UDP multicast on the loopback interface.
 * The demo waits on each step with its own deadline and exits non-zero if one is missed.
 */
class DemoCommandTest {

  @Test
  void demoElectsFailsOverAndExitsZero() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int status = Main.run(
        List.of("demo", "--heartbeat", "100ms"),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    String shown = out.toString(StandardCharsets.UTF_8);
    assertThat(status).as(shown + err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(shown)
        .contains("All three agree: server3 leads.")
        .contains("bob got [private] alice: Hi Bob, how are you?")
        .contains("charlie got alice: Hello everyone!")
        .contains("alice got bob: Still here, alice?")
        .contains("server1 and server2 agree on server2")
        .contains("All three agree: server3 leads again.")
        .contains("server2 leads,")
        .contains("Demo finished: every step happened in time.")
        .doesNotContain("FAILED");
  }
}
