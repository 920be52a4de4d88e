package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.Reconnector;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client's failover policy ({@link Reconnector}) run by a {@link SimulatedClient} against real
 * nodes in virtual time: the client notices a lost or silent server by itself and resumes its
 * session elsewhere, or joins afresh once the cluster has let it go.
 */
class ClientFailoverScenariosTest {
  private static final Duration GRACE = Duration.ofSeconds(5);
  private static final Reconnector.Timings TIMINGS = new Reconnector.Timings(
      Duration.ofMillis(200),
      Duration.ofMillis(600),
      Duration.ofMillis(50),
      Duration.ofMillis(400),
      Duration.ofSeconds(2),
      Duration.ofSeconds(5));

  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(5)
      .configure((id, node) -> node.heartbeatInterval(Duration.ofMillis(200))
          .sessionGrace(GRACE)
          .clientHost(id.value())
          .clientPort(5000 + id.value().charAt(id.value().length() - 1)))
      .build();

  private final List<String> told = new ArrayList<>();
  private SimulatedClient alice;
  private SimulatedClient bob;

  /** Records what the client's listener hears about its connection. */
  private ClientSession.Listener recorder(String who) {
    return new SimulatedClient.FailoverListener() {
      @Override
      public void onConnectionLost(String reason, List<ClientRequest.Send> unconfirmed) {
        told.add(who + " lost: " + reason);
      }

      @Override
      public void onResumed(ServerEvent.Resumed resumed) {
        told.add(who + " resumed on " + resumed.server());
      }

      @Override
      public void onSessionEnded(String reason, List<ClientRequest.Send> unconfirmed) {
        told.add(who + " session ended");
      }

      @Override
      public void onReconnected(ServerEvent.Welcome welcome) {
        told.add(who + " joined afresh on " + welcome.server());
      }

      @Override
      public void onClosed(@Nullable String reason) {
        told.add(who + " closed: " + reason);
      }
    };
  }

  @BeforeEach
  void aliceOnServer1BobOnServer2() {
    cluster.startAll("server1", "server2", "server3");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));
    alice = cluster.connectWithFailover("alice", "server1", recorder("alice"), TIMINGS, 1);
    bob = cluster.connectWithFailover("bob", "server2", recorder("bob"), TIMINGS, 2);
    boolean joined = cluster.runUntil(
        () -> alice.session().state() == ClientSession.State.JOINED
            && bob.session().state() == ClientSession.State.JOINED,
        Duration.ofSeconds(5));
    assertThat(joined).isTrue();
    cluster.runFor(Duration.ofSeconds(1)); // the server lists go round
  }

  @Test
  void aClientWhoseServerCrashedResumesOnAnotherByItselfAndGetsWhatItMissed() {
    cluster.crash("server1");
    bob.session().send("alice", "are you there?");
    boolean resumed = cluster.runUntil(
        () -> alice.session().state() == ClientSession.State.JOINED, Duration.ofSeconds(10));

    assertThat(resumed).isTrue();
    assertThat(alice.serverId()).isNotEqualTo("server1");
    assertThat(told)
        .containsSubsequence(
            "alice lost: the connection broke: the server is gone",
            "alice resumed on " + alice.serverId());
    cluster.runFor(Duration.ofSeconds(1));
    assertThat(alice.messages())
        .extracting(ServerEvent.Message::text)
        .containsExactly("are you there?");
  }

  @Test
  void aSilentServerIsGivenUpAfterThePingTimeoutAndTheSessionResumedElsewhere() {
    cluster.pause("server1", Duration.ofSeconds(5));
    // Pings go every 200 ms and are answered within milliseconds: the last answer came at most
    // about 200 ms before the freeze, so the 600 ms of silence are over 400-600 ms into it.
    cluster.runFor(Duration.ofMillis(350));
    assertThat(told).as("not yet: silent for less than the timeout").isEmpty();
    cluster.runFor(Duration.ofMillis(300));
    assertThat(told).as("given up within the timeout").isNotEmpty();

    boolean resumed = cluster.runUntil(
        () -> told.stream().anyMatch(t -> t.startsWith("alice resumed")), Duration.ofSeconds(10));

    assertThat(resumed).isTrue();
    assertThat(told.get(0)).startsWith("alice lost: no answer from server1 for ");
    assertThat(alice.serverId()).isNotEqualTo("server1");
    assertThat(told).noneMatch(t -> t.startsWith("bob"));
  }

  @Test
  void aClientWhoseSessionTheClusterNoLongerHoldsIsToldItEndedAndJoinsAfresh() {
    // The whole cluster goes and comes back: nobody holds alice's session any more.
    cluster.crash("server1");
    cluster.crash("server2");
    cluster.crash("server3");
    cluster.runFor(Duration.ofSeconds(1));
    cluster.startAll("server1", "server2", "server3");
    boolean back = cluster.runUntil(
        () -> alice.session().state() == ClientSession.State.JOINED, Duration.ofSeconds(30));

    assertThat(back).isTrue();
    // The restarted cluster never knew alice's session: it is over, and she joins as a new one.
    assertThat(told).contains("alice session ended");
    assertThat(told).anyMatch(t -> t.startsWith("alice joined afresh on "));
    assertThat(alice.failoverState()).isEqualTo(Reconnector.State.CONNECTED);
  }
}
