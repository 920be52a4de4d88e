package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.session.ClientLink;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ResumeToken;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Session resume in virtual time: a client that loses its connection or its server takes up its
 * session on another server within the grace period, and nothing it sent or was sent is lost or
 * doubled.
 */
class SessionResumeScenariosTest {
  private static final Duration GRACE = Duration.ofSeconds(5);

  private final SimulatedCluster cluster = SimulatedCluster.builder()
      .seed(11)
      .linkConditions(
          LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(5)))
      .configure((id, node) -> node.heartbeatInterval(Duration.ofMillis(200)).sessionGrace(GRACE))
      .build();

  private SimulatedClient alice;
  private SimulatedClient bob;
  private SimulatedClient charlie;

  @BeforeEach
  void threeClientsOnThreeServers() {
    cluster.startAll("server1", "server2", "server3");
    cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10));
    alice = cluster.connect("alice", "server1");
    bob = cluster.connect("bob", "server2");
    charlie = cluster.connect("charlie", "server3");
    boolean joined = cluster.runUntil(
        () -> List.of(alice, bob, charlie).stream()
            .allMatch(c -> c.session().state() == ClientSession.State.JOINED),
        Duration.ofSeconds(5));
    assertThat(joined).as("joined (seed %d)", cluster.seed()).isTrue();
    cluster.runFor(Duration.ofMillis(200));
  }

  @Test
  void aClientWhoseServerCrashedResumesElsewhereAndGetsWhatWasSentToItMeanwhileOnceInOrder() {
    cluster.crash("server3");
    cluster.runFor(Duration.ofMillis(100));
    bob.session().send("charlie", "are you there?");
    alice.session().send(null, "one");
    alice.session().send(null, "two");
    cluster.runFor(Duration.ofSeconds(2)); // server3 is failed, charlie's session held

    cluster.resume(charlie, "server2");
    cluster.runFor(Duration.ofSeconds(1));
    alice.session().send(null, "three");
    cluster.runFor(Duration.ofSeconds(1));

    assertThat(charlie.events())
        .anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(ServerEvent.Resumed.class, r -> {
          assertThat(r.name()).isEqualTo("charlie");
          assertThat(r.server().value()).isEqualTo("server2");
          assertThat(r.complete()).isTrue();
        }));
    assertThat(texts(charlie)).containsExactly("are you there?", "one", "two", "three");
    assertThat(bob.events())
        .as("bob's private message was accepted, not refused for an unknown recipient")
        .noneMatch(e -> e instanceof ServerEvent.Rejected);
    assertThat(presenceOf(alice, "charlie")).as("nobody saw charlie leave").isEmpty();
  }

  @Test
  void sendsInFlightWhenTheServerCrashedAreSentAgainAndDeliveredExactlyOnce() {
    // A client of a follower: its sends are still on their way to the leader when it crashes.
    String leader = cluster.agreedLeader().orElseThrow().value();
    SimulatedClient mover = leader.equals("server1") ? bob : alice;
    SimulatedClient watcher = leader.equals("server3") ? (mover == alice ? bob : alice) : charlie;
    for (int i = 1; i <= 3; i++) {
      mover.session().send(null, "m" + i);
    }
    cluster.runFor(Duration.ofMillis(2)); // these reached the server and are on their way
    mover.session().send(null, "m4");
    mover.session().send(null, "m5");
    cluster.crash(mover.serverId()); // before these reach it, and before any answer
    cluster.runFor(Duration.ofSeconds(2));

    cluster.resume(mover, leader);
    cluster.runFor(Duration.ofSeconds(2));
    mover.session().send(null, "m6");
    cluster.runFor(Duration.ofSeconds(1));

    assertThat(texts(watcher)).containsExactly("m1", "m2", "m3", "m4", "m5", "m6");
    assertThat(texts(mover))
        .as("its own broadcasts come back once each")
        .containsExactly("m1", "m2", "m3", "m4", "m5", "m6");
    assertThat(mover.session().unanswered()).as("every send answered").isEmpty();
    ServerEvent.Resumed resumed = mover.events().stream()
        .filter(e -> e instanceof ServerEvent.Resumed)
        .map(e -> (ServerEvent.Resumed) e)
        .findFirst()
        .orElseThrow();
    List<Long> acceptedAfterwards = mover.events().stream()
        .dropWhile(e -> !(e instanceof ServerEvent.Resumed))
        .filter(e -> e instanceof ServerEvent.Accepted)
        .map(e -> ((ServerEvent.Accepted) e).seq())
        .toList();
    assertThat(resumed.lastSendSeq())
        .as("m1 to m3 were sequenced before the crash, m4 and m5 not")
        .isEqualTo(3);
    assertThat(acceptedAfterwards)
        .as("the rest were sent again and accepted once each")
        .containsExactlyElementsOf(
            java.util.stream.LongStream.rangeClosed(resumed.lastSendSeq() + 1, 6)
                .boxed()
                .toList());
  }

  @Test
  void thousandsOfMessagesKeptWhileResumingAreAllAcceptedOnceInOrderAndNoneRefusedAsBusy() {
    cluster.crash("server3");
    cluster.runFor(Duration.ofSeconds(2)); // server3 is failed, charlie's session held

    cluster.resume(charlie, "server1");
    int count = 3_000; // more than a server takes at once from one client (1,024)
    for (int i = 0; i < count; i++) {
      charlie.session().send(null, "k" + i);
    }
    assertThat(charlie.session().unanswered()).as("all kept while resuming").hasSize(count);
    boolean delivered = cluster.runUntil(
        () -> texts(bob).size() >= count && charlie.session().unanswered().isEmpty(),
        Duration.ofSeconds(30));

    assertThat(delivered)
        .as("all delivered and answered (seed %d)", cluster.seed())
        .isTrue();
    List<String> expected =
        java.util.stream.IntStream.range(0, count).mapToObj(i -> "k" + i).toList();
    assertThat(texts(bob)).as("each once, in order").isEqualTo(expected);
    assertThat(charlie.events())
        .as("none refused (busy or otherwise)")
        .noneMatch(e -> e instanceof ServerEvent.Rejected);
    assertThat(charlie.events().stream()
            .filter(e -> e instanceof ServerEvent.Accepted)
            .count())
        .isEqualTo(count);
  }

  @Test
  void aDroppedConnectionIsResumedOnAnotherServerAndTheOldServerForgetsIt() {
    charlie.disconnect();
    cluster.runFor(Duration.ofMillis(100));
    alice.session().send("charlie", "psst");
    cluster.runFor(Duration.ofMillis(300));

    cluster.resume(charlie, "server1");
    cluster.runFor(Duration.ofSeconds(1));

    assertThat(texts(charlie)).containsExactly("psst");
    assertThat(clientsOf("server3")).isZero();
    assertThat(clientsOf("server1")).isEqualTo(2);
    charlie.session().send("bob", "back");
    cluster.runFor(Duration.ofMillis(500));
    assertThat(texts(bob)).containsExactly("back");
  }

  @Test
  void aHeldNameCannotBeTakenDuringTheGracePeriod() {
    charlie.disconnect();
    cluster.runFor(Duration.ofMillis(500));

    SimulatedClient impostor = cluster.connect("Charlie", "server1");
    cluster.runFor(Duration.ofMillis(500));

    assertThat(impostor.events())
        .anySatisfy(e -> assertThat(e)
            .isInstanceOfSatisfying(
                ServerEvent.Refused.class,
                r -> assertThat(r.code()).isEqualTo(ServerEvent.Reason.NAME_TAKEN)));
  }

  @Test
  void afterTheGracePeriodTheSessionEndsVisiblyAndCannotBeResumed() {
    charlie.disconnect();
    cluster.runFor(GRACE.plusSeconds(1));

    assertThat(presenceOf(alice, "charlie"))
        .containsExactly(
            new ServerEvent.Presence("charlie", false, "did not come back within 5 s"));

    cluster.resume(charlie, "server2");
    cluster.runFor(Duration.ofMillis(500));
    assertThat(charlie.events())
        .last()
        .isInstanceOfSatisfying(
            ServerEvent.Refused.class,
            r -> assertThat(r.code()).isEqualTo(ServerEvent.Reason.SESSION_ENDED));

    SimulatedClient newcomer = cluster.connect("charlie", "server1");
    cluster.runFor(Duration.ofMillis(500));
    assertThat(newcomer.session().state())
        .as("the name is free again")
        .isEqualTo(ClientSession.State.JOINED);
  }

  @Test
  void aClientMayResumeOnTheSameServer() {
    charlie.disconnect();
    cluster.runFor(Duration.ofMillis(50));
    bob.session().send(null, "while away");
    cluster.runFor(Duration.ofMillis(300));

    cluster.resume(charlie, "server3");
    cluster.runFor(Duration.ofMillis(500));

    assertThat(texts(charlie)).containsExactly("while away");
    assertThat(charlie.session().state()).isEqualTo(ClientSession.State.JOINED);
  }

  @Test
  void aClientThatKnowsAnotherSessionsIdCannotResumeItAndItsOwnerStillCan() {
    // Bob learns alice's session id as any client can: from a message of hers, with its position.
    alice.session().send(null, "hello");
    cluster.runFor(Duration.ofMillis(300));
    ServerEvent.Message seen = bob.messages().get(0);
    assertThat(seen.fromSession()).isEqualTo(alice.session().sessionId());
    alice.disconnect(); // her session is held for her
    cluster.runFor(Duration.ofMillis(300));

    // Everything bob could present: alice's id and name, a position, and for the secret none,
    // his own (the only one he has seen) and a guess. On each server, alice's old one included.
    List<ResumeToken> guesses = List.of(
        ResumeToken.NONE,
        bob.session().resumeToken(),
        ResumeToken.random(new java.util.SplittableRandom(1)));
    List<List<ServerEvent>> answers = new java.util.ArrayList<>();
    for (String server : List.of("server1", "server2", "server3")) {
      for (ResumeToken guess : guesses) {
        List<ServerEvent> heard = new java.util.ArrayList<>();
        answers.add(heard);
        MessagingNode.ClientConnection connection =
            cluster.node(server).connectClient(recorder(heard));
        connection.request(
            new ClientRequest.Resume("alice", seen.fromSession(), seen.epoch(), seen.seq(), guess));
      }
    }
    cluster.runFor(Duration.ofSeconds(1));

    assertThat(answers)
        .hasSize(9)
        .allSatisfy(heard -> assertThat(heard)
            .noneMatch(e -> e instanceof ServerEvent.Resumed || e instanceof ServerEvent.Message)
            .anySatisfy(e -> assertThat(e)
                .isInstanceOfSatisfying(
                    ServerEvent.Refused.class,
                    r -> assertThat(r.code()).isEqualTo(ServerEvent.Reason.SESSION_ENDED))));
    bob.session().send("alice", "for alice only");
    cluster.runFor(Duration.ofMillis(300));

    cluster.resume(alice, "server3");
    cluster.runFor(Duration.ofSeconds(1));
    assertThat(alice.session().state())
        .as("the owner resumes")
        .isEqualTo(ClientSession.State.JOINED);
    assertThat(texts(alice)).containsExactly("hello", "for alice only");
    assertThat(presenceOf(bob, "alice")).as("nobody saw alice leave").noneMatch(p -> !p.joined());
  }

  /** A client link that records what the server tells it. */
  private static ClientLink recorder(List<ServerEvent> heard) {
    return new ClientLink() {
      @Override
      public void send(ServerEvent event) {
        heard.add(event);
      }

      @Override
      public void close() {}
    };
  }

  private int clientsOf(String server) {
    io.github.ringleader.messaging.node.NodeId id =
        io.github.ringleader.messaging.node.NodeId.of(server);
    return cluster.node(server).view().member(id).orElseThrow().clients();
  }

  private static List<String> texts(SimulatedClient client) {
    return client.messages().stream().map(ServerEvent.Message::text).toList();
  }

  private static List<ServerEvent.Presence> presenceOf(SimulatedClient observer, String name) {
    return observer.events().stream()
        .filter(e -> e instanceof ServerEvent.Presence p && p.name().equals(name))
        .map(e -> (ServerEvent.Presence) e)
        .toList();
  }
}
