package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.client.ClientTls;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.transport.tcp.TestCertificates.Pair;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real nodes on loopback whose client ports speak TLS: the SDK joins, sends and receives over it,
 * its probes for the least-loaded server use TLS too, and a burst larger than a TLS record (and
 * than the server's per-client window) arrives whole and in order.
 */
class TlsEndToEndTest {
  @TempDir
  Path dir;

  private @Nullable LoopbackCluster cluster;

  @AfterEach
  void stop() {
    LoopbackCluster c = cluster;
    if (c != null) {
      c.close();
    }
  }

  private ClientTls clientTls;
  private Pair server;

  @BeforeEach
  void makeCertificates() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    Pair ca = certs.ca("ca");
    server = certs.signed("server", "localhost", ca, "ec");
    clientTls = ClientTls.trusting(ca.certificate());
  }

  private LoopbackCluster start(int servers, int maxInFlight) throws Exception {
    LoopbackCluster started = LoopbackCluster.builder("tls-e2e")
        .servers(servers)
        .advertiseClientPorts()
        .serverConfig(b -> b.maxInFlightSends(maxInFlight)
            .tls(TlsServerSettings.pem(server.certificate(), server.key())))
        .start();
    cluster = started;
    return started;
  }

  private MessagingClient.Builder client(LoopbackCluster c, int server, String name) {
    return MessagingClient.builder()
        .address("127.0.0.1", c.port(server))
        .name(name)
        .tls(clientTls);
  }

  @Test
  void clientsJoinSendAndReceiveOverTlsAndProbesForRoomUseTlsToo() throws Exception {
    LoopbackCluster c = start(2, 256);
    TcpTestSupport.Recorder alice = new TcpTestSupport.Recorder();
    TcpTestSupport.Recorder bob = new TcpTestSupport.Recorder();
    // alice fills server1 a little; bob asks server1 and, over a TLS probe, moves to server2.
    c.join(client(c, 0, "alice").listener(alice).balance(false));
    MessagingClient bobClient = c.join(client(c, 0, "bob").listener(bob).balance(true));
    assertThat(bobClient.session().server()).isEqualTo("server2");

    bobClient.send("hello alice, over TLS");

    await(() -> "alice got bob's message", () -> alice.hasText("hello alice, over TLS"));
    assertThat(c.server(0).clientStats().closed())
        .doesNotContainKeys(
            TcpServerStats.CloseReason.PLAINTEXT_ON_TLS_PORT,
            TcpServerStats.CloseReason.TLS_HANDSHAKE_FAILED);
  }

  @Test
  void whenItsServerStopsAClientResumesOverTlsOnAnother() throws Exception {
    LoopbackCluster c = start(2, 256);
    ClientPlacementEndToEndTest.FailoverRecorder alice =
        new ClientPlacementEndToEndTest.FailoverRecorder();
    TcpTestSupport.Recorder bob = new TcpTestSupport.Recorder();
    MessagingClient aliceClient = c.join(client(c, 0, "alice")
        .listener(alice)
        .balance(false)
        .reconnectBackoff(java.time.Duration.ofMillis(20), java.time.Duration.ofMillis(100)));
    long session = aliceClient.session().id();
    c.join(client(c, 1, "bob").listener(bob).balance(false));

    c.server(0).close();

    await(
        () -> "alice resumed: " + alice.lost + " " + alice.rounds, () -> !alice.resumed.isEmpty());
    assertThat(alice.resumed.get(0).session().id()).as("the same session").isEqualTo(session);
    assertThat(aliceClient.serverAddress()).isEqualTo("127.0.0.1:" + c.port(1));
    aliceClient.send("bob", "resumed over TLS");
    await(() -> "bob hears alice", () -> bob.hasText("resumed over TLS"));
  }

  @Test
  void aBurstBeyondTheWindowAndManyRecordsArrivesWholeAndInOrder() throws Exception {
    LoopbackCluster c = start(1, 8); // a small window: the server pauses and resumes reading
    TcpTestSupport.Recorder bob = new TcpTestSupport.Recorder();
    MessagingClient alice = c.join(client(c, 0, "alice"));
    c.join(client(c, 0, "bob").listener(bob));
    String padding = "x".repeat(900); // ~1 KB frames: a TLS record holds ~16 of them

    int count = 600;
    for (int i = 0; i < count; i++) {
      alice.send(i + " " + padding);
    }

    await(
        () -> "bob got all " + count + " (has " + bob.messages.size() + ")",
        () -> bob.messages.size() >= count);
    Set<Integer> seen = new HashSet<>();
    int expected = 0;
    for (var message : bob.messages) {
      int n = Integer.parseInt(message.text().substring(0, message.text().indexOf(' ')));
      assertThat(n).as("in order").isEqualTo(expected++);
      seen.add(n);
    }
    assertThat(seen).hasSize(count);
    assertThat(c.server(0).clientStats().pausedForInFlight())
        .as("the window paused reading")
        .isPositive();
  }
}
