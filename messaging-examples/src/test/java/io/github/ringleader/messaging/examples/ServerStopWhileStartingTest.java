package io.github.ringleader.messaging.examples;

import static io.github.ringleader.messaging.examples.ServerProcesses.await;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Ctrl+C (here SIGTERM, which runs the same shutdown hook) while a server is still discovering:
 * it used to end in a stack trace ({@code IllegalStateException: Shutdown in progress}); it stops
 * cleanly, saying so in one line. A real process on loopback, free ports; every wait has a
 * deadline.
 */
class ServerStopWhileStartingTest {
  private final ServerProcesses processes = new ServerProcesses();

  @AfterEach
  void stopEverything() {
    processes.close();
  }

  @Test
  void aServerStoppedWhileItDiscoversStopsCleanlyWithoutAStackTrace() throws Exception {
    // A 10 s heartbeat makes the discovery window 5 s: time enough to stop it inside.
    ServerProcesses.Server server = processes.start(
        "server1",
        ServerProcesses.freeTcpPort(),
        "--heartbeat",
        "10s",
        "--mcast-port",
        String.valueOf(ServerProcesses.freeUdpPort()),
        "--cluster",
        "stop-while-starting");
    await(() -> server.logged("starting: cluster"), Duration.ofSeconds(20), "the node starting");
    assertThat(server.logged("clients connect on")).as("still discovering").isFalse();

    // SIGTERM through the handle: Process.destroy() would also close our end of its output,
    // losing what it says while it stops.
    server.process.toHandle().destroy();

    assertThat(server.process.waitFor(20, TimeUnit.SECONDS)).as("stopped").isTrue();
    await(() -> server.logEnded, Duration.ofSeconds(5), "the end of its output");
    assertThat(server.logged("stopping server1"))
        .as("the stop logged: %s", server.tail(20))
        .isTrue();
    assertThat(server.log)
        .noneMatch(line -> line.contains("Exception") || line.startsWith("\tat "));
    assertThat(server.process.exitValue()).as("exit status after SIGTERM").isIn(0, 143);
  }
}
