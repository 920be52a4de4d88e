package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.session.WithoutPositions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The usage guide's messaging, in virtual time: clients on different servers talk. */
class RoutingScenariosTest {

  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(3)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(5)))
      .configure((id, node) -> node.capacity(id.value().equals("server1") ? 2 : 10))
      .build();

  private SimulatedClient alice;
  private SimulatedClient bob;
  private SimulatedClient charlie;

  @BeforeEach
  void threeServersWithOneClientEach() {
    cluster.startAll("server1", "server2", "server3");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));
    alice = cluster.connect("alice", "server1");
    bob = cluster.connect("bob", "server2");
    charlie = cluster.connect("charlie", "server3");
    boolean joined = cluster.runUntil(
        () -> List.of(alice, bob, charlie).stream()
            .allMatch(c -> c.session().state() == ClientSession.State.JOINED),
        Duration.ofSeconds(5));
    assertThat(joined).as("all three welcomed").isTrue();
    cluster.runFor(Duration.ofMillis(500));
  }

  @Test
  void aBroadcastReachesEveryClientOnEveryServerIncludingTheSender() {
    long seq = alice.session().send(null, "Hello everyone!");
    cluster.runFor(Duration.ofSeconds(1));

    for (SimulatedClient client : List.of(alice, bob, charlie)) {
      assertThat(WithoutPositions.of(client.messages()))
          .containsExactly(new ServerEvent.Message("alice", null, "Hello everyone!"));
    }
    assertThat(alice.events()).contains(new ServerEvent.Accepted(seq));
  }

  @Test
  void aPrivateMessageReachesOnlyItsRecipient() {
    alice.session().send("bob", "Hi Bob, how are you?");
    cluster.runFor(Duration.ofSeconds(1));

    assertThat(WithoutPositions.of(bob.messages()))
        .containsExactly(new ServerEvent.Message("alice", "bob", "Hi Bob, how are you?"));
    assertThat(alice.messages()).isEmpty();
    assertThat(charlie.messages()).isEmpty();
  }

  @Test
  void aMessageToSomeoneNotConnectedIsRejectedWithAReason() {
    long seq = alice.session().send("dave", "are you there?");
    cluster.runFor(Duration.ofSeconds(1));

    assertThat(alice.events())
        .filteredOn(e -> e instanceof ServerEvent.Rejected)
        .containsExactly(new ServerEvent.Rejected(
            seq, ServerEvent.Reason.UNKNOWN_RECIPIENT, "no client named dave is connected"));
    assertThat(bob.messages()).isEmpty();
  }

  @Test
  void aSecondAliceIsRefusedWhereverSheConnects() {
    SimulatedClient otherAlice = cluster.connect("ALICE", "server3");
    cluster.runFor(Duration.ofSeconds(1));

    assertThat(otherAlice.events()).hasSize(1);
    assertThat(otherAlice.events().get(0))
        .isInstanceOfSatisfying(ServerEvent.Refused.class, refused -> {
          assertThat(refused.code()).isEqualTo(ServerEvent.Reason.NAME_TAKEN);
          assertThat(refused.reason()).contains("alice");
        });
    assertThat(otherAlice.isConnected()).isFalse();
  }

  @Test
  void twoClientsClaimingOneNameAtTheSameMomentOnTwoServersOneWins() {
    SimulatedClient first = cluster.connect("dave", "server2");
    SimulatedClient second = cluster.connect("dave", "server3");
    cluster.runFor(Duration.ofSeconds(1));

    long welcomed = List.of(first, second).stream()
        .filter(c -> c.session().state() == ClientSession.State.JOINED)
        .count();
    assertThat(welcomed).isEqualTo(1);
  }

  @Test
  void anInvalidNameIsRefusedWithTheRule() {
    SimulatedClient bad = cluster.connect("bad name", "server2");
    cluster.runFor(Duration.ofMillis(100));

    assertThat(bad.events().get(0)).isInstanceOfSatisfying(ServerEvent.Refused.class, refused -> {
      assertThat(refused.code()).isEqualTo(ServerEvent.Reason.INVALID_NAME);
      assertThat(refused.reason()).contains("found ' ' at position 4");
    });
  }

  @Test
  void aFullServerRefusesANewClientAndNamesOneWithRoom() {
    cluster.connect("dave", "server1");
    cluster.runFor(Duration.ofMillis(500));
    SimulatedClient third = cluster.connect("erin", "server1");
    cluster.runFor(Duration.ofMillis(500));

    assertThat(third.events().get(0)).isInstanceOfSatisfying(ServerEvent.Refused.class, refused -> {
      assertThat(refused.code()).isEqualTo(ServerEvent.Reason.SERVER_FULL);
      assertThat(refused.redirect()).isIn(NodeId.of("server2"), NodeId.of("server3"));
    });
  }

  @Test
  void everyoneHearsWhoJoinsAndLeaves() {
    SimulatedClient dave = cluster.connect("dave", "server2");
    cluster.runFor(Duration.ofMillis(500));
    dave.session().bye();
    cluster.runFor(Duration.ofMillis(500));

    assertThat(charlie.events())
        .contains(new ServerEvent.Presence("dave", true, ""))
        .contains(new ServerEvent.Presence("dave", false, "left"));
    alice.session().listUsers();
    cluster.runFor(Duration.ofMillis(100));
    assertThat(alice.events())
        .last()
        .isEqualTo(new ServerEvent.Users(List.of("alice", "bob", "charlie")));
  }

  @Test
  void clientsOfACrashedServerAreReportedGoneWhenTheirGracePeriodEndsAndTheOthersKeepTalking() {
    cluster.crash("server3");
    cluster.runFor(Duration.ofSeconds(10));
    assertThat(alice.events())
        .as("held for charlie to resume: nobody is told yet")
        .noneMatch(e -> e instanceof ServerEvent.Presence p && p.name().equals("charlie"));

    cluster.runFor(MessagingNode.DEFAULT_SESSION_GRACE);
    assertThat(alice.events())
        .anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(ServerEvent.Presence.class, p -> {
          assertThat(p.name()).isEqualTo("charlie");
          assertThat(p.joined()).isFalse();
          assertThat(p.reason()).isEqualTo("did not come back within 30 s");
        }));
    long seq = alice.session().send(null, "still here?");
    cluster.runFor(Duration.ofSeconds(1));
    assertThat(WithoutPositions.of(bob.messages()))
        .containsExactly(new ServerEvent.Message("alice", null, "still here?"));
    assertThat(alice.events()).contains(new ServerEvent.Accepted(seq));
  }
}
