package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.auth.AuthDecision;
import io.github.ringleader.messaging.auth.Authenticator;
import io.github.ringleader.messaging.auth.ClientAuthFailure;
import io.github.ringleader.messaging.auth.FailureThrottle;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.Credential;
import io.github.ringleader.messaging.session.ServerEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Client authentication in virtual time: the node consults its {@link Authenticator} off the
 * loop (here: an answer that takes 50 ms of virtual time, like a password hash), refuses what it
 * refuses with the reason, slows down repeated failures, and lets everyone else carry on.
 */
class ClientAuthenticationScenariosTest {
  private static final long MS = 1_000_000L;
  private static final Duration CHECK_TIME = Duration.ofMillis(50);

  private final List<Long> checkedAtNanos = new ArrayList<>();
  private SimulatedCluster cluster;

  /** alice/wonderland may take "alice"; ops/pager may take "ops" and "ops-*". */
  private Authenticator authenticator(VirtualTimeScheduler scheduler) {
    Map<String, String> passwords = Map.of("alice", "wonderland", "ops", "pager");
    return attempt -> {
      CompletableFuture<AuthDecision> answer = new CompletableFuture<>();
      Credential credential = attempt.credential();
      if (credential == null) {
        return CompletableFuture.completedFuture(AuthDecision.noCredential());
      }
      String user = credential.user();
      char[] secret = credential.secret(); // read now: the node clears the credential once decided
      checkedAtNanos.add(scheduler.nanoTime());
      scheduler.schedule(CHECK_TIME, () -> {
        String expected = passwords.get(user);
        if (expected == null || !Arrays.equals(expected.toCharArray(), secret)) {
          answer.complete(AuthDecision.refuse(
              ClientAuthFailure.WRONG_SECRET, user, AuthDecision.WRONG_CREDENTIAL));
        } else if (!attempt.name().equals(user) && !attempt.name().startsWith(user + "-")) {
          answer.complete(AuthDecision.nameNotAllowed(user, attempt.name()));
        } else {
          answer.complete(AuthDecision.allow(user));
        }
      });
      return answer;
    };
  }

  @BeforeEach
  void cluster() {
    VirtualTimeScheduler[] holder = new VirtualTimeScheduler[1];
    cluster = SimulatedCluster.builder()
        .seed(23)
        .linkConditions(
            LinkConditions.PERFECT.withLatency(Duration.ofMillis(1), Duration.ofMillis(2)))
        .configure((id, node) -> node.heartbeatInterval(Duration.ofMillis(200))
            .sessionGrace(Duration.ofSeconds(5))
            .authenticator(attempt -> authenticator(holder[0]).authenticate(attempt))
            .authFailureThrottle(
                new FailureThrottle(100 * MS, 3_000 * MS, 1_000 * MS, 600_000 * MS, 100)))
        .build();
    holder[0] = cluster.scheduler();
    cluster.startAll("server1", "server2");
    assertThat(cluster.runUntil(cluster::hasSingleAgreedLeader, Duration.ofSeconds(10)))
        .isTrue();
  }

  private SimulatedClient signIn(String name, String user, String password, String server) {
    SimulatedClient client = cluster.open(server);
    client.session().credentials(() -> new Credential(user, password.toCharArray()));
    client.session().hello(name);
    return client;
  }

  private static ServerEvent.Refused refusal(SimulatedClient client) {
    return client.events().stream()
        .filter(ServerEvent.Refused.class::isInstance)
        .map(ServerEvent.Refused.class::cast)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no refusal among " + client.events()));
  }

  private boolean joined(SimulatedClient client) {
    return client.session().state() == ClientSession.State.JOINED;
  }

  @Test
  void theRightPasswordJoinsAndAWrongOneIsRefusedWhileOthersCarryOn() {
    SimulatedClient alice = signIn("alice", "alice", "wonderland", "server1");
    assertThat(cluster.runUntil(() -> joined(alice), Duration.ofSeconds(2))).isTrue();
    SimulatedClient mallory = signIn("ops", "ops", "guess", "server1");
    alice.session().send(null, "still here");
    cluster.runFor(Duration.ofSeconds(1));
    ServerEvent.Refused refused = refusal(mallory);
    assertThat(refused.code()).isEqualTo(ServerEvent.Reason.NOT_AUTHENTICATED);
    assertThat(refused.reason()).isEqualTo("wrong user name or secret");
    assertThat(alice.session().unanswered()).isEmpty();
    assertThat(alice.messages())
        .extracting(ServerEvent.Message::text)
        .containsExactly("still here");
    assertThat(cluster.node("server1").metrics().authenticationFailures())
        .containsEntry("client_wrong_secret", 1L)
        .containsEntry("client_no_credential", 0L);
    assertThat(cluster.node("server1").metrics().refusals())
        .containsEntry(ServerEvent.Reason.NOT_AUTHENTICATED, 1L);
  }

  @Test
  void aHelloWithoutACredentialIsRefusedAndCounted() {
    SimulatedClient anonymous = cluster.connect("alice", "server2");
    cluster.runFor(Duration.ofMillis(500));
    assertThat(refusal(anonymous).code()).isEqualTo(ServerEvent.Reason.NOT_AUTHENTICATED);
    assertThat(refusal(anonymous).reason()).contains("requires a user name and password");
    assertThat(cluster.node("server2").metrics().authenticationFailures())
        .containsEntry("client_no_credential", 1L);
  }

  @Test
  void aUserCannotTakeAnotherUsersName() {
    SimulatedClient ops = signIn("alice", "ops", "pager", "server1");
    SimulatedClient night = signIn("ops-night", "ops", "pager", "server2");
    cluster.runFor(Duration.ofMillis(500));
    assertThat(refusal(ops).code()).isEqualTo(ServerEvent.Reason.NOT_AUTHORIZED);
    assertThat(refusal(ops).reason()).isEqualTo("user ops may not take the name alice");
    assertThat(joined(night)).isTrue();
  }

  @Test
  void aResumeWithoutTheCredentialIsRefusedAndWithItSucceeds() {
    SimulatedClient alice = signIn("alice", "alice", "wonderland", "server1");
    assertThat(cluster.runUntil(() -> joined(alice), Duration.ofSeconds(2))).isTrue();
    alice.session().send(null, "one");
    cluster.runFor(Duration.ofMillis(300));
    alice.disconnect();
    cluster.runFor(Duration.ofMillis(500));

    alice.session().credentials(() -> null); // the token alone
    cluster.resume(alice, "server2");
    cluster.runFor(Duration.ofMillis(500));
    assertThat(refusal(alice).code()).isEqualTo(ServerEvent.Reason.NOT_AUTHENTICATED);

    alice.session().credentials(() -> new Credential("alice", "wonderland".toCharArray()));
    alice.events().clear();
    cluster.resume(alice, "server2");
    assertThat(cluster.runUntil(() -> joined(alice), Duration.ofSeconds(2))).isTrue();
  }

  @Test
  void repeatedFailuresFromOneAddressWaitLongerAndLongerBeforeBeingChecked() {
    List<SimulatedClient> guesses = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      guesses.add(signIn("alice", "alice", "guess" + i, "server1"));
    }
    cluster.runFor(Duration.ofSeconds(5));
    for (SimulatedClient guess : guesses) {
      assertThat(refusal(guess).code()).isEqualTo(ServerEvent.Reason.NOT_AUTHENTICATED);
    }
    // All five arrived together, and wait in turn: each is checked after the one before it plus
    // its own wait (0, 100, 200, 400, 800 ms), so at 0, 100, 300, 700 and 1,500 ms.
    long first = checkedAtNanos.get(0);
    assertThat(checkedAtNanos.stream().map(t -> (t - first) / MS).toList())
        .containsExactly(0L, 100L, 300L, 700L, 1_500L);
    assertThat(cluster.node("server1").metrics().authenticationFailures())
        .containsEntry("client_wrong_secret", 5L);
    // The user's own sign-in is slowed by at most the user's cap, and clears the user's strikes.
    SimulatedClient alice = signIn("alice", "alice", "wonderland", "server2");
    assertThat(cluster.runUntil(() -> joined(alice), Duration.ofSeconds(2))).isTrue();
  }
}
