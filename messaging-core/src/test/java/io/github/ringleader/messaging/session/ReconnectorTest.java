package io.github.ringleader.messaging.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.session.Reconnector.AbandonAttempt;
import io.github.ringleader.messaging.session.Reconnector.Action;
import io.github.ringleader.messaging.session.Reconnector.Attempt;
import io.github.ringleader.messaging.session.Reconnector.Candidate;
import io.github.ringleader.messaging.session.Reconnector.DropServer;
import io.github.ringleader.messaging.session.Reconnector.GiveUp;
import io.github.ringleader.messaging.session.Reconnector.RoundFailed;
import io.github.ringleader.messaging.session.Reconnector.SendPing;
import io.github.ringleader.messaging.session.Reconnector.SessionEnded;
import io.github.ringleader.messaging.session.Reconnector.State;
import io.github.ringleader.messaging.session.Reconnector.Timings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The failover policy, driven by hand in virtual time (nanoseconds from 0). */
class ReconnectorTest {

  static final long MS = 1_000_000L;
  static final NodeId S1 = NodeId.of("server1");
  static final NodeId S2 = NodeId.of("server2");
  static final NodeId S3 = NodeId.of("server3");
  static final Candidate AT_S1 = new Candidate("h1", 5001, S1);
  static final Candidate SEED_A = new Candidate("seed-a", 5001, null);
  static final Candidate SEED_B = new Candidate("seed-b", 5001, null);
  /** Ping 100 ms / 300 ms, backoff 50 ms to 400 ms, join 1 s, resume 2 s. */
  static final Timings TIMINGS = new Timings(
      Duration.ofMillis(100),
      Duration.ofMillis(300),
      Duration.ofMillis(50),
      Duration.ofMillis(400),
      Duration.ofSeconds(1),
      Duration.ofSeconds(2));

  static ServerEvent.ServerInfo info(NodeId id, String host, int port, int clients, int capacity) {
    return new ServerEvent.ServerInfo(id, host, port, clients, capacity, false);
  }

  static Reconnector connectedAt(long now, long seed) {
    Reconnector r = new Reconnector(TIMINGS, List.of(SEED_A, SEED_B), new Random(seed));
    r.connected(now, S1, AT_S1);
    return r;
  }

  /** Ticks at {@code now} and returns the one attempt it must start. */
  static Attempt attemptAt(Reconnector r, long now) {
    List<Action> actions = r.onTick(now);
    assertThat(actions).hasSize(1).first().isInstanceOf(Attempt.class);
    return (Attempt) actions.get(0);
  }

  @Nested
  class SilenceDetection {
    @Test
    void aJoinedClientPingsOncePerIntervalWhileTheServerAnswers() {
      Reconnector r = connectedAt(0, 1);
      assertThat(r.nextDeadlineNanos()).isEqualTo(100 * MS);
      assertThat(r.onTick(99 * MS)).isEmpty();
      assertThat(r.onTick(100 * MS)).containsExactly(new SendPing());
      r.heard(120 * MS);
      assertThat(r.nextDeadlineNanos()).isEqualTo(200 * MS);
      assertThat(r.onTick(150 * MS)).isEmpty();
      assertThat(r.onTick(200 * MS)).containsExactly(new SendPing());
      assertThat(r.state()).isEqualTo(State.CONNECTED);
    }

    @Test
    void aServerSilentForLongerThanThePingTimeoutIsGivenUpAndPingingStops() {
      Reconnector r = connectedAt(0, 1);
      r.heard(50 * MS);
      long silentUntil = 50 * MS + 300 * MS;
      assertThat(r.onTick(100 * MS)).containsExactly(new SendPing());
      assertThat(r.onTick(200 * MS)).containsExactly(new SendPing());
      assertThat(r.onTick(300 * MS)).containsExactly(new SendPing());
      assertThat(r.nextDeadlineNanos()).isEqualTo(silentUntil + 1);
      assertThat(r.onTick(silentUntil)).isEmpty(); // exactly the timeout is not yet too long
      List<Action> actions = r.onTick(silentUntil + 1);
      assertThat(actions).hasSize(1).first().isInstanceOf(DropServer.class);
      assertThat(((DropServer) actions.get(0)).reason()).contains("no answer from server1");
      assertThat(r.state()).isEqualTo(State.DROPPING);
      assertThat(r.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
      assertThat(r.onTick(10_000 * MS)).isEmpty();
    }

    @Test
    void hearingFromTheServerPutsTheSilenceDeadlineOff() {
      Reconnector r = connectedAt(0, 1);
      for (long t = 100; t <= 2_000; t += 100) {
        r.heard(t * MS - 10 * MS);
        assertThat(r.onTick(t * MS)).containsExactly(new SendPing());
      }
      assertThat(r.state()).isEqualTo(State.CONNECTED);
    }

    @Test
    void aLostConnectionIsTriedAgainAtOnceResumingTheSession() {
      Reconnector r = connectedAt(0, 1);
      r.connectionLost(40 * MS, "the server closed the connection", true);
      assertThat(r.nextDeadlineNanos()).isEqualTo(40 * MS);
      Attempt first = attemptAt(r, 40 * MS);
      assertThat(first.resume()).isTrue();
      assertThat(first.round()).isZero();
      assertThat(first.deadlineNanos()).isEqualTo(40 * MS + 2_000 * MS);
    }

    @Test
    void aLossBeforeTheFirstJoinOrAfterClosingIsIgnored() {
      Reconnector fresh = new Reconnector(TIMINGS, List.of(SEED_A), new Random(1));
      fresh.connectionLost(0, "gone", true);
      assertThat(fresh.state()).isEqualTo(State.NEW);
      assertThat(fresh.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
      Reconnector closed = connectedAt(0, 1);
      closed.close();
      closed.connectionLost(10 * MS, "gone", true);
      assertThat(closed.state()).isEqualTo(State.ENDED);
      assertThat(closed.onTick(1_000 * MS)).isEmpty();
    }
  }

  @Nested
  class CandidateOrder {
    @Test
    void otherServersWithRoomComeFirstLeastLoadedThenTheLostServerThenTheSeeds() {
      ServerEvent.Servers list = new ServerEvent.Servers(
          S1,
          List.of(
              info(S1, "h1", 5001, 1, 10),
              info(S2, "h2", 5002, 5, 10),
              info(S3, "h3", 5003, 2, 10),
              info(NodeId.of("server4"), "h4", 5004, 10, 10), // full
              info(NodeId.of("server5"), "h5", 0, 0, 10))); // no client port
      assertThat(Reconnector.candidateOrder(list, S1, AT_S1, List.of(SEED_A, SEED_B)))
          .extracting(Candidate::toString)
          .containsExactly(
              "h3:5003", "h2:5002", "h4:5004", "h1:5001", "seed-a:5001", "seed-b:5001");
    }

    @Test
    void equalLoadsAreOrderedByIdAndAServerWithoutAHostIsReachedAtTheLostServersHost() {
      ServerEvent.Servers list =
          new ServerEvent.Servers(S1, List.of(info(S3, "", 5003, 1, 4), info(S2, "", 5002, 2, 8)));
      assertThat(Reconnector.candidateOrder(list, S1, AT_S1, List.of()))
          .containsExactly(new Candidate("h1", 5002, S2), new Candidate("h1", 5003, S3), AT_S1);
    }

    @Test
    void aPlaceIsTriedOnceEvenIfAlsoGivenAsASeed() {
      ServerEvent.Servers list = new ServerEvent.Servers(S1, List.of(info(S2, "H2", 5002, 0, 10)));
      Candidate seedS2 = new Candidate("h2", 5002, null);
      Candidate seedS1 = new Candidate("h1", 5001, null);
      assertThat(Reconnector.candidateOrder(list, S1, AT_S1, List.of(seedS1, seedS2, SEED_A)))
          .extracting(Candidate::toString)
          .containsExactly("H2:5002", "h1:5001", "seed-a:5001");
    }

    @Test
    void withoutAServerListOnlyTheLostServerAndTheSeedsAreTried() {
      Reconnector r = connectedAt(0, 1);
      r.connectionLost(0, "gone", true);
      List<String> tried = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        Attempt a = attemptAt(r, 0);
        tried.add(a.to().toString());
        r.attemptFailed(0, "connection refused");
      }
      assertThat(tried).containsExactly("h1:5001", "seed-a:5001", "seed-b:5001");
    }

    @Test
    void eachRoundOrdersByTheLatestServerList() {
      Reconnector r = connectedAt(0, 1);
      r.servers(new ServerEvent.Servers(
          S1, List.of(info(S2, "h2", 5002, 1, 10), info(S3, "h3", 5003, 5, 10))));
      r.connectionLost(0, "gone", true);
      assertThat(attemptAt(r, 0).to().server()).isEqualTo(S2);
      r.servers(new ServerEvent.Servers(
          S3, List.of(info(S2, "h2", 5002, 9, 10), info(S3, "h3", 5003, 0, 10))));
      r.refused(0, ServerEvent.Reason.NAME_TAKEN, "taken", null); // ends the round
      assertThat(r.onTick(0)).singleElement().isInstanceOf(RoundFailed.class);
      assertThat(attemptAt(r, r.nextDeadlineNanos()).to().server()).isEqualTo(S3);
    }
  }

  @Nested
  class Backoff {
    @Test
    void theCeilingStartsAtTheMinimumDoublesEachRoundAndStopsAtTheMaximum() {
      assertThat(Reconnector.backoffCeilingNanos(TIMINGS, 1)).isEqualTo(50 * MS);
      assertThat(Reconnector.backoffCeilingNanos(TIMINGS, 2)).isEqualTo(100 * MS);
      assertThat(Reconnector.backoffCeilingNanos(TIMINGS, 3)).isEqualTo(200 * MS);
      assertThat(Reconnector.backoffCeilingNanos(TIMINGS, 4)).isEqualTo(400 * MS);
      assertThat(Reconnector.backoffCeilingNanos(TIMINGS, 5)).isEqualTo(400 * MS);
      assertThat(Reconnector.backoffCeilingNanos(TIMINGS, 1_000_000)).isEqualTo(400 * MS);
    }

    @Test
    void hugeBackoffsDoNotOverflow() {
      Timings huge = new Timings(
          Duration.ofSeconds(1),
          Duration.ofSeconds(3),
          Duration.ofDays(365),
          Duration.ofDays(365 * 200),
          Duration.ofSeconds(1),
          Duration.ofSeconds(1));
      for (int round = 1; round < 100; round++) {
        assertThat(Reconnector.backoffCeilingNanos(huge, round))
            .isPositive()
            .isLessThanOrEqualTo(Duration.ofDays(365 * 200).toNanos());
      }
    }

    @Test
    void everyFailedRoundWaitsARandomPartOfItsCeilingAndSaysSo() {
      for (long seed = 1; seed <= 200; seed++) {
        Reconnector r = connectedAt(0, seed);
        r.connectionLost(0, "gone", true);
        long now = 0;
        for (int round = 1; round <= 6; round++) {
          for (int i = 0; i < 3; i++) { // h1, seed-a, seed-b
            attemptAt(r, now);
            r.attemptFailed(now, "connection refused");
          }
          List<Action> actions = r.onTick(now);
          assertThat(actions).singleElement().isInstanceOf(RoundFailed.class);
          RoundFailed failed = (RoundFailed) actions.get(0);
          long ceiling = Reconnector.backoffCeilingNanos(TIMINGS, round);
          assertThat(failed.round()).isEqualTo(round);
          assertThat(failed.nextRoundWithin()).isEqualTo(Duration.ofNanos(ceiling));
          assertThat(failed.failures())
              .isEqualTo("h1:5001: connection refused; seed-a:5001: connection refused;"
                  + " seed-b:5001: connection refused");
          long wait = r.nextDeadlineNanos() - now;
          assertThat(wait).isBetween(0L, ceiling);
          if (wait > 0) {
            assertThat(r.onTick(now + wait - 1)).isEmpty();
          }
          now += wait;
          assertThat(r.round()).isEqualTo(round);
        }
      }
    }

    @Test
    void theWaitsAreSpreadOverTheWholeRangeNotFixed() {
      long ceiling = Reconnector.backoffCeilingNanos(TIMINGS, 1);
      long lowest = Long.MAX_VALUE;
      long highest = 0;
      for (long seed = 1; seed <= 500; seed++) {
        Reconnector r = connectedAt(0, seed);
        r.connectionLost(0, "gone", true);
        for (int i = 0; i < 3; i++) {
          attemptAt(r, 0);
          r.attemptFailed(0, "refused");
        }
        r.onTick(0);
        lowest = Math.min(lowest, r.nextDeadlineNanos());
        highest = Math.max(highest, r.nextDeadlineNanos());
      }
      assertThat(lowest).isLessThan(ceiling / 10);
      assertThat(highest).isGreaterThan(ceiling * 9 / 10);
    }

    @Test
    void theSameSeedGivesTheSameWaits() {
      assertThat(waits(42)).isEqualTo(waits(42)).isNotEqualTo(waits(43));
    }

    private List<Long> waits(long seed) {
      Reconnector r = connectedAt(0, seed);
      r.connectionLost(0, "gone", true);
      List<Long> waits = new ArrayList<>();
      long now = 0;
      for (int round = 1; round <= 5; round++) {
        for (int i = 0; i < 3; i++) {
          attemptAt(r, now);
          r.attemptFailed(now, "refused");
        }
        r.onTick(now);
        waits.add(r.nextDeadlineNanos() - now);
        now = r.nextDeadlineNanos();
      }
      return waits;
    }

    @Test
    void joiningAgainStartsTheRoundsOverFromZero() {
      Reconnector r = connectedAt(0, 7);
      r.connectionLost(0, "gone", true);
      for (int i = 0; i < 3; i++) {
        attemptAt(r, 0);
        r.attemptFailed(0, "refused");
      }
      r.onTick(0);
      long now = r.nextDeadlineNanos();
      attemptAt(r, now);
      r.connected(now, S1, AT_S1);
      r.connectionLost(now + MS, "gone again", true);
      Attempt again = attemptAt(r, now + MS);
      assertThat(again.round()).isZero();
    }
  }

  @Nested
  class ResumeOrFresh {
    @Test
    void aSessionThatCannotBeResumedJoinsAfresh() {
      Reconnector r = connectedAt(0, 1);
      r.connectionLost(0, "gone", false);
      Attempt a = attemptAt(r, 0);
      assertThat(a.resume()).isFalse();
      assertThat(a.deadlineNanos()).isEqualTo(1_000 * MS);
    }

    @Test
    void whenTheClusterSaysTheSessionEndedTheSameServerIsAskedAtOnceToJoinAfresh() {
      Reconnector r = connectedAt(0, 1);
      r.connectionLost(0, "gone", true);
      Attempt resume = attemptAt(r, 5 * MS);
      r.refused(8 * MS, ServerEvent.Reason.SESSION_ENDED, "grace period over", null);
      List<Action> actions = r.onTick(8 * MS);
      assertThat(actions).hasSize(2);
      assertThat(actions.get(0)).isEqualTo(new SessionEnded("grace period over"));
      Attempt fresh = (Attempt) actions.get(1);
      assertThat(fresh.to()).isEqualTo(resume.to());
      assertThat(fresh.resume()).isFalse();
      assertThat(r.resuming()).isFalse();
      // and every later attempt joins afresh too
      r.attemptFailed(9 * MS, "connection reset");
      assertThat(attemptAt(r, 9 * MS).resume()).isFalse();
    }

    @Test
    void aResumeThatIsNotAnsweredInTimeIsAbandonedAndTheNextServerTried() {
      Reconnector r = connectedAt(0, 1);
      r.connectionLost(0, "gone", true);
      Attempt first = attemptAt(r, 0);
      assertThat(r.nextDeadlineNanos()).isEqualTo(first.deadlineNanos());
      assertThat(r.onTick(first.deadlineNanos() - 1)).isEmpty();
      List<Action> actions = r.onTick(first.deadlineNanos());
      assertThat(actions).hasSize(2);
      assertThat(actions.get(0)).isInstanceOf(AbandonAttempt.class);
      assertThat(((AbandonAttempt) actions.get(0)).to()).isEqualTo(first.to());
      Attempt second = (Attempt) actions.get(1);
      assertThat(second.to()).isEqualTo(SEED_A);
      assertThat(second.resume()).isTrue(); // still resumable: the cluster has not said otherwise
    }

    @Test
    void aFullServersRedirectIsFollowedOnceAtOnce() {
      Reconnector r = connectedAt(0, 1);
      r.servers(new ServerEvent.Servers(
          S1, List.of(info(S2, "h2", 5002, 10, 10), info(S3, "h3", 5003, 10, 10))));
      r.connectionLost(0, "gone", true);
      Attempt first = attemptAt(r, 0);
      assertThat(first.to().server()).isEqualTo(S2);
      r.refused(MS, ServerEvent.Reason.SERVER_FULL, "full", S3);
      Attempt redirected = attemptAt(r, MS);
      assertThat(redirected.to()).isEqualTo(new Candidate("h3", 5003, S3));
      assertThat(redirected.resume()).isTrue();
      r.refused(2 * MS, ServerEvent.Reason.SERVER_FULL, "full too", S2);
      // not bounced back and forth: on to the next candidate of the round
      Attempt next = attemptAt(r, 2 * MS);
      assertThat(next.to()).isEqualTo(new Candidate("h3", 5003, S3));
    }

    @Test
    void aServerThatCameUpAfterTheClientsLastMessageIsLeftForTheOlderOneItNames() {
      // Found by the randomized simulation: the least-loaded server was a restarted one, which
      // answers a resume with BUSY and a redirect; ending the round there sent the client back
      // to it every round, forever.
      Reconnector r = connectedAt(0, 1);
      r.servers(new ServerEvent.Servers(
          S1, List.of(info(S2, "h2", 5002, 0, 10), info(S3, "h3", 5003, 5, 10))));
      r.connectionLost(0, "asked to move", true);
      assertThat(attemptAt(r, 0).to().server()).isEqualTo(S2);
      r.refused(MS, ServerEvent.Reason.BUSY, "server2 came up after your last message", S3);
      Attempt redirected = attemptAt(r, MS);
      assertThat(redirected.to().server()).isEqualTo(S3);
      assertThat(redirected.resume()).isTrue();
    }

    @Test
    void aBusyOrFullServerWithoutARedirectIsPassedOverForTheNextCandidate() {
      Reconnector r = connectedAt(0, 1);
      r.servers(new ServerEvent.Servers(
          S1, List.of(info(S2, "h2", 5002, 0, 10), info(S3, "h3", 5003, 5, 10))));
      r.connectionLost(0, "gone", true);
      attemptAt(r, 0);
      r.refused(MS, ServerEvent.Reason.BUSY, "too many sign-ins are being checked", null);
      assertThat(attemptAt(r, MS).to().server()).isEqualTo(S3);
      r.refused(2 * MS, ServerEvent.Reason.SERVER_FULL, "full", null);
      assertThat(attemptAt(r, 2 * MS).to()).isEqualTo(AT_S1);
    }

    @Test
    void aNameStillTakenEndsTheRoundSinceEveryServerWouldSayTheSame() {
      Reconnector r = connectedAt(0, 1);
      r.connectionLost(0, "gone", false);
      attemptAt(r, 0);
      r.refused(MS, ServerEvent.Reason.NAME_TAKEN, "taken", null);
      List<Action> actions = r.onTick(MS);
      assertThat(actions).singleElement().isInstanceOf(RoundFailed.class);
      assertThat(((RoundFailed) actions.get(0)).failures()).contains("NAME_TAKEN taken");
      assertThat(attemptAt(r, r.nextDeadlineNanos()).to()).isEqualTo(AT_S1);
    }

    @Test
    void outcomesReportedWhenNoAttemptIsUnderWayAreIgnored() {
      Reconnector r = connectedAt(0, 1);
      r.attemptFailed(MS, "late");
      r.refused(MS, ServerEvent.Reason.NOT_AUTHORIZED, "late", null);
      assertThat(r.state()).isEqualTo(State.CONNECTED);
      assertThat(r.onTick(MS)).isEmpty();
    }
  }

  @Nested
  class GivingUp {
    @Test
    void aRefusedCredentialEndsItAll() {
      for (ServerEvent.Reason code :
          List.of(ServerEvent.Reason.NOT_AUTHENTICATED, ServerEvent.Reason.NOT_AUTHORIZED)) {
        Reconnector r = connectedAt(0, 1);
        r.connectionLost(0, "gone", true);
        attemptAt(r, 0);
        r.refused(MS, code, "password changed", null);
        assertThat(r.onTick(MS))
            .containsExactly(new GiveUp(
                "the cluster no longer accepts this client's credential: password changed"));
        assertThat(r.state()).isEqualTo(State.ENDED);
        assertThat(r.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(r.onTick(100_000 * MS)).isEmpty();
      }
    }

    @Test
    void closingStopsEverythingAndDropsWhatWasWaiting() {
      Reconnector r = connectedAt(0, 1);
      r.connectionLost(0, "gone", true);
      attemptAt(r, 0);
      r.refused(MS, ServerEvent.Reason.NAME_TAKEN, "taken", null);
      r.close();
      assertThat(r.onTick(100_000 * MS)).isEmpty();
      assertThat(r.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
      r.connected(200_000 * MS, S1, AT_S1);
      assertThat(r.state()).isEqualTo(State.ENDED);
    }

    @Test
    void otherwiseItKeepsTryingRoundAfterRound() {
      Reconnector r = connectedAt(0, 3);
      r.connectionLost(0, "gone", true);
      long now = 0;
      int rounds = 0;
      while (rounds < 50) {
        for (Action action : r.onTick(now)) {
          if (action instanceof Attempt) {
            r.attemptFailed(now, "refused");
          } else if (action instanceof RoundFailed) {
            rounds++;
          }
        }
        now = Math.max(now, r.nextDeadlineNanos());
      }
      assertThat(r.state()).isIn(State.WAITING, State.ATTEMPTING);
      assertThat(now).isLessThanOrEqualTo(50 * 400 * MS);
    }
  }

  @Test
  void timingsThatMakeNoSenseAreRefusedNamingTheField() {
    Duration s = Duration.ofSeconds(1);
    assertThatThrownBy(() -> new Timings(Duration.ZERO, s, s, s, s, s))
        .hasMessage("pingInterval must be > 0, was PT0S");
    assertThatThrownBy(() -> new Timings(s.multipliedBy(2), s, s, s, s, s))
        .hasMessage("pingTimeout PT1S is shorter than pingInterval PT2S");
    assertThatThrownBy(() -> new Timings(s, s, s.multipliedBy(2), s, s, s))
        .hasMessage("backoffMax PT1S is below backoffMin PT2S");
    assertThatThrownBy(() -> new Timings(s, s, s, s, s, Duration.ofMillis(-1)))
        .hasMessage("resumeTimeout must be > 0, was PT-0.001S");
  }
}
