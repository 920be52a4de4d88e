package io.github.ringleader.messaging.election;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.membership.MemberView;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClusterMessage;
import io.github.ringleader.messaging.protocol.Election;
import io.github.ringleader.messaging.protocol.ElectionAck;
import io.github.ringleader.messaging.protocol.Heartbeat;
import io.github.ringleader.messaging.protocol.LeaderAnnouncement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * One node's LCR election, driven by hand: a {@link TreeSet} stands in for the membership, a
 * recording outbox catches what the node sends, and time is an explicit {@code nowNanos}.
 *
 * <p>Most tests use node {@code server3} on the ring {@code server1 < server2 < server3 < server4
 * < server5}, so its successor is {@code server4}.
 */
class LcrElectionTest {

  private static final long ACK_TIMEOUT = 100;
  private static final int MAX_ATTEMPTS = 3;
  private static final long ELECTION_TIMEOUT = 10_000;
  private static final int ANNOUNCE_REPEATS = 2;
  private static final ElectionTimings TIMINGS =
      new ElectionTimings(ACK_TIMEOUT, MAX_ATTEMPTS, ELECTION_TIMEOUT, ANNOUNCE_REPEATS);

  /** A settle delay far beyond every test's horizon, so no election starts unless a test says. */
  private static final long LONG_SETTLE = 1_000_000_000L;

  private static final long T0 = 1_000;

  private static final NodeId SERVER1 = id("server1");
  private static final NodeId SERVER2 = id("server2");
  private static final NodeId SERVER3 = id("server3");
  private static final NodeId SERVER4 = id("server4");
  private static final NodeId SERVER5 = id("server5");

  private final TreeSet<NodeId> live = new TreeSet<>();
  private final MemberView view = new MemberView() {
    @Override
    public Collection<NodeId> liveIds() {
      return List.copyOf(live);
    }

    @Override
    public boolean isLive(NodeId id) {
      return live.contains(id);
    }
  };
  private final RecordingOutbox outbox = new RecordingOutbox();

  private static NodeId id(String value) {
    return NodeId.of(value);
  }

  /** What the node sent: {@code to} is null for a send to all. */
  private record Sent(@Nullable NodeId to, ClusterMessage message) {}

  private static final class RecordingOutbox implements ElectionOutbox {
    final List<Sent> sent = new ArrayList<>();

    @Override
    public void send(NodeId to, ClusterMessage message) {
      sent.add(new Sent(to, message));
    }

    @Override
    public void sendToAll(ClusterMessage message) {
      sent.add(new Sent(null, message));
    }

    List<Sent> tokens() {
      return sent.stream().filter(s -> s.message() instanceof Election).toList();
    }

    Sent onlyToken() {
      assertThat(tokens()).as("election tokens sent").hasSize(1);
      return tokens().get(0);
    }

    List<Sent> acks() {
      return sent.stream().filter(s -> s.message() instanceof ElectionAck).toList();
    }

    List<Sent> announcements() {
      return sent.stream()
          .filter(s -> s.message() instanceof LeaderAnnouncement)
          .toList();
    }

    void clear() {
      sent.clear();
    }
  }

  /** A node {@code self} that has not been activated, with {@code others} live. */
  private LcrElection election(NodeId self, NodeId... others) {
    live.clear();
    live.addAll(List.of(others));
    return new LcrElection(self, view, outbox, TIMINGS);
  }

  /** {@code server3} on the five-node ring, activated, with no election started yet. */
  private LcrElection server3() {
    LcrElection election = election(SERVER3, SERVER1, SERVER2, SERVER4, SERVER5);
    election.activate(T0, LONG_SETTLE);
    return election;
  }

  private static Heartbeat heartbeat(@Nullable NodeId knownLeader, long term) {
    return new Heartbeat(0, 0, knownLeader, term, 0, 100);
  }

  private static Sent sent(@Nullable NodeId to, ClusterMessage message) {
    return new Sent(to, message);
  }

  private static Election tokenOf(Sent sent) {
    return (Election) sent.message();
  }

  /** Makes server3 the leader of term 1: it starts, and its own id comes back from server2. */
  private LcrElection server3Leading(long nowNanos) {
    LcrElection election = server3();
    election.startElection(nowNanos, "test");
    election.onElection(SERVER2, new Election(1, 900, SERVER3), nowNanos);
    assertThat(election.state()).isEqualTo(ElectionState.LEADING);
    outbox.clear();
    return election;
  }

  /** server3 following {@code leader} in {@code term}, told by an announcement. */
  private LcrElection server3Following(NodeId leader, long term) {
    LcrElection election = server3();
    election.onAnnouncement(leader, new LeaderAnnouncement(term), T0);
    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(election.leader()).isEqualTo(leader);
    outbox.clear();
    return election;
  }

  // ------------------------------------------------------------------ the ring successor

  @Test
  void startElectionSendsATokenNamingItselfToTheNextHigherLiveId() {
    LcrElection election = election(SERVER3, SERVER1, SERVER2, SERVER4, id("server10"));
    election.activate(T0, LONG_SETTLE);

    election.startElection(T0, "test");

    Sent token = outbox.onlyToken();
    assertThat(token.to()).isEqualTo(SERVER4);
    assertThat(tokenOf(token).term()).isEqualTo(1);
    assertThat(tokenOf(token).candidate()).isEqualTo(SERVER3);
    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.term()).isEqualTo(1);
    assertThat(election.leader()).isNull();
    assertThat(election.electionsStarted()).isEqualTo(1);
  }

  @Test
  void highestNodeSendsItsTokenAroundToTheLowestLiveId() {
    LcrElection election = election(id("server10"), SERVER2, id("server9"), SERVER3);
    election.activate(T0, LONG_SETTLE);

    election.startElection(T0, "test");

    assertThat(outbox.onlyToken().to()).isEqualTo(SERVER2);
  }

  @Test
  void ringSuccessorFollowsTheNumericAwareOrderNotTheTextOrder() {
    LcrElection election = election(id("server9"), SERVER1, id("server10"));
    election.activate(T0, LONG_SETTLE);

    election.startElection(T0, "test");

    assertThat(outbox.onlyToken().to()).isEqualTo(id("server10"));
  }

  @Test
  void memberNoLongerInTheViewIsNotASuccessor() {
    LcrElection election = server3();
    live.remove(SERVER4);

    election.startElection(T0, "test");

    assertThat(outbox.onlyToken().to()).isEqualTo(SERVER5);
  }

  @Test
  void nodeAloneBecomesLeaderAtOnceWhenItStartsAnElection() {
    LcrElection election = election(SERVER1);
    election.activate(T0, LONG_SETTLE);

    election.startElection(T0, "test");

    assertThat(election.state()).isEqualTo(ElectionState.LEADING);
    assertThat(election.isLeader()).isTrue();
    assertThat(election.leader()).isEqualTo(SERVER1);
    assertThat(election.term()).isEqualTo(1);
    assertThat(outbox.sent).containsExactly(sent(null, new LeaderAnnouncement(1)));
  }

  // ------------------------------------------------------------------ forwarding

  @Test
  void higherCandidateIsForwardedUnchangedToTheSuccessor() {
    LcrElection election = server3();

    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0);

    Sent token = outbox.onlyToken();
    assertThat(token.to()).isEqualTo(SERVER4);
    assertThat(tokenOf(token).term()).isEqualTo(1);
    assertThat(tokenOf(token).candidate()).isEqualTo(SERVER5);
    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.term()).isEqualTo(1);
  }

  @Test
  void lowerCandidateIsReplacedByTheNodesOwnId() {
    LcrElection election = server3();

    election.onElection(SERVER2, new Election(1, 40, SERVER1), T0);

    Sent token = outbox.onlyToken();
    assertThat(token.to()).isEqualTo(SERVER4);
    assertThat(tokenOf(token).candidate()).isEqualTo(SERVER3);
    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
  }

  @Test
  void lowerCandidateIsSwallowedWhenTheNodeAlreadySentItsOwnIdThisTerm() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    outbox.clear();

    election.onElection(SERVER2, new Election(1, 40, SERVER2), T0 + 1);

    assertThat(outbox.tokens()).isEmpty();
    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
  }

  @Test
  void candidateNoHigherThanOneAlreadyForwardedThisTermIsSwallowed() {
    LcrElection election = server3();
    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0);
    outbox.clear();

    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0 + 1); // a duplicate
    election.onElection(SERVER2, new Election(1, 41, SERVER4), T0 + 2); // a lower candidate

    assertThat(outbox.tokens()).isEmpty();
  }

  @Test
  void higherCandidateIsForwardedEvenAfterTheNodeSentItsOwnId() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    outbox.clear();

    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0 + 1);

    assertThat(tokenOf(outbox.onlyToken()).candidate()).isEqualTo(SERVER5);
  }

  @Test
  void ownIdComingBackElectsTheNodeAndItAnnouncesItselfToAll() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    outbox.clear();

    election.onElection(SERVER2, new Election(1, 40, SERVER3), T0 + 5);

    assertThat(election.state()).isEqualTo(ElectionState.LEADING);
    assertThat(election.leader()).isEqualTo(SERVER3);
    assertThat(election.term()).isEqualTo(1);
    assertThat(outbox.announcements()).containsExactly(sent(null, new LeaderAnnouncement(1)));
    assertThat(outbox.tokens()).isEmpty();
  }

  @Test
  void newLeaderStopsRetransmittingTheTokenThatElectedIt() {
    LcrElection election = server3();
    election.startElection(T0, "test"); // to server4, never acknowledged
    election.onElection(SERVER2, new Election(1, 40, SERVER3), T0 + 5);
    outbox.clear();

    for (long t = T0; t <= T0 + 10 * ACK_TIMEOUT; t += ACK_TIMEOUT) {
      election.onTick(t);
    }

    assertThat(outbox.tokens()).isEmpty();
    assertThat(election.pendingTokens()).isZero();
  }

  @Test
  void ownIdComingBackDoesNotElectANodeThatHasSinceBackedAHigherCandidate() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0 + 1);
    outbox.clear();

    election.onElection(SERVER2, new Election(1, 41, SERVER3), T0 + 2);

    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(outbox.announcements()).isEmpty();
  }

  @Test
  void duplicateOfTheWinningTokenDoesNotAnnounceAgain() {
    LcrElection election = server3Leading(T0);

    election.onElection(SERVER2, new Election(1, 900, SERVER3), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.LEADING);
    assertThat(outbox.announcements()).isEmpty();
    assertThat(outbox.acks()).containsExactly(sent(SERVER2, new ElectionAck(1, 900)));
  }

  // ------------------------------------------------------------------ acknowledgements

  @Test
  void everyTokenIsAcknowledgedToItsSenderWithItsTermAndMessageId() {
    LcrElection election = server3();

    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0); // forwarded
    election.onElection(SERVER2, new Election(1, 41, SERVER1), T0); // swallowed
    election.onElection(SERVER1, new Election(1, 7, SERVER4), T0); // swallowed

    assertThat(outbox.acks())
        .containsExactly(
            sent(SERVER2, new ElectionAck(1, 40)),
            sent(SERVER2, new ElectionAck(1, 41)),
            sent(SERVER1, new ElectionAck(1, 7)));
  }

  @Test
  void tokenIsNeitherAcknowledgedNorActedOnBeforeActivation() {
    LcrElection election = election(SERVER3, SERVER1, SERVER2, SERVER4, SERVER5);

    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0);

    assertThat(outbox.sent).isEmpty();
    assertThat(election.state()).isEqualTo(ElectionState.LEADERLESS);
    assertThat(election.term()).isZero();
  }

  @Test
  void tokenIsNotAcknowledgedAfterDeactivation() {
    LcrElection election = server3();
    election.deactivate();

    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0);

    assertThat(outbox.sent).isEmpty();
  }

  @Test
  void tokenOfAnOlderTermIsAcknowledgedButIgnored() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    election.startElection(T0, "test again");
    outbox.clear();

    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0 + 1);

    assertThat(outbox.sent).containsExactly(sent(SERVER2, new ElectionAck(1, 40)));
    assertThat(election.term()).isEqualTo(2);
    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
  }

  @Test
  void tokenOfAHigherTermMakesAFollowerJoinThatElection() {
    LcrElection election = server3Following(SERVER5, 1);

    election.onElection(SERVER2, new Election(3, 40, SERVER4), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.leader()).isNull();
    assertThat(election.term()).isEqualTo(3);
    Election forwarded = tokenOf(outbox.onlyToken());
    assertThat(forwarded.term()).isEqualTo(3);
    assertThat(forwarded.candidate()).isEqualTo(SERVER4);
  }

  @Test
  void tokenOfTheTermAlreadyDecidedIsAcknowledgedButIgnoredByAFollower() {
    LcrElection election = server3Following(SERVER5, 1);

    election.onElection(SERVER2, new Election(1, 40, SERVER4), T0 + 1);

    assertThat(outbox.sent).containsExactly(sent(SERVER2, new ElectionAck(1, 40)));
    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(election.leader()).isEqualTo(SERVER5);
  }

  // ------------------------------------------------------------------ retransmission, ring repair

  @Test
  void unacknowledgedTokenIsSentAgainAfterTheAckTimeoutAndNotBefore() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    Sent first = outbox.onlyToken();
    outbox.clear();

    election.onTick(T0 + ACK_TIMEOUT - 1);
    assertThat(outbox.sent).isEmpty();

    election.onTick(T0 + ACK_TIMEOUT);
    assertThat(outbox.sent).containsExactly(first);
  }

  @Test
  void acknowledgedTokenIsNotSentAgain() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    Election token = tokenOf(outbox.onlyToken());
    outbox.clear();

    election.onElectionAck(SERVER4, new ElectionAck(token.term(), token.messageId()));
    election.onTick(T0 + 5 * ACK_TIMEOUT);

    assertThat(outbox.sent).isEmpty();
    assertThat(election.pendingTokens()).isZero();
  }

  @Test
  void acknowledgementFromAnotherMemberOrOfAnotherTermDoesNotStopTheRetransmission() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    Sent first = outbox.onlyToken();
    Election token = tokenOf(first);
    outbox.clear();

    election.onElectionAck(SERVER5, new ElectionAck(token.term(), token.messageId()));
    election.onElectionAck(SERVER4, new ElectionAck(token.term() + 1, token.messageId()));
    election.onTick(T0 + ACK_TIMEOUT);

    assertThat(outbox.sent).containsExactly(first);
  }

  @Test
  void successorIsSkippedAfterMaxAttemptsSendsAndTheTokenGoesToTheNextLiveId() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    for (int i = 1; i < MAX_ATTEMPTS; i++) {
      election.onTick(T0 + i * ACK_TIMEOUT);
    }
    assertThat(outbox.tokens()).extracting(Sent::to).containsOnly(SERVER4).hasSize(MAX_ATTEMPTS);
    outbox.clear();

    election.onTick(T0 + MAX_ATTEMPTS * ACK_TIMEOUT);

    Sent next = outbox.onlyToken();
    assertThat(next.to()).isEqualTo(SERVER5);
    assertThat(tokenOf(next).term()).isEqualTo(1);
    assertThat(tokenOf(next).candidate()).isEqualTo(SERVER3);
  }

  @Test
  void skippedSuccessorStaysOutOfTheRingForTheRestOfTheTerm() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    for (int i = 1; i <= MAX_ATTEMPTS; i++) {
      election.onTick(T0 + i * ACK_TIMEOUT);
    }
    outbox.clear();

    election.onElection(SERVER2, new Election(1, 40, id("server9")), T0 + 400);

    assertThat(outbox.onlyToken().to()).isEqualTo(SERVER5);
  }

  @Test
  void skippedSuccessorIsBackInTheRingInTheNextTerm() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    for (int i = 1; i <= MAX_ATTEMPTS; i++) {
      election.onTick(T0 + i * ACK_TIMEOUT);
    }
    outbox.clear();

    election.startElection(T0 + 400, "next term");

    assertThat(outbox.onlyToken().to()).isEqualTo(SERVER4);
  }

  @Test
  void successorDroppedByTheFailureDetectorIsSkippedAtOnceAndThePendingTokenGoesToTheNext() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    outbox.clear();

    live.remove(SERVER4);
    election.onMemberGone(SERVER4, T0 + 1);

    Sent resent = outbox.onlyToken();
    assertThat(resent.to()).isEqualTo(SERVER5);
    assertThat(tokenOf(resent).term()).isEqualTo(1);
    assertThat(tokenOf(resent).candidate()).isEqualTo(SERVER3);
    assertThat(election.term()).as("no new term for a lost successor").isEqualTo(1);

    outbox.clear();
    election.onTick(T0 + 1 + ACK_TIMEOUT);
    assertThat(outbox.tokens()).extracting(Sent::to).containsOnly(SERVER5);
  }

  // ------------------------------------------------------------------ dead leaders and candidates

  @Test
  void leaderFailureStartsAnElectionInTheNextTerm() {
    LcrElection election = server3Following(SERVER5, 4);

    live.remove(SERVER5);
    election.onMemberGone(SERVER5, T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.leader()).isNull();
    assertThat(election.term()).isEqualTo(5);
    assertThat(election.electionsStarted()).isEqualTo(1);
    Sent token = outbox.onlyToken();
    assertThat(token.to()).isEqualTo(SERVER4);
    assertThat(tokenOf(token))
        .extracting(Election::term, Election::candidate)
        .containsExactly(5L, SERVER3);
  }

  @Test
  void whenTheLeaderLeavesCleanlyTheHighestRemainingMemberTakesOverWithoutAnElection() {
    LcrElection election = server3Following(SERVER5, 4);
    live.remove(SERVER4);
    election.onMemberGone(SERVER4, T0);
    outbox.clear();

    live.remove(SERVER5);
    election.onMemberLeft(SERVER5, T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.LEADING);
    assertThat(election.term()).isEqualTo(5);
    assertThat(election.electionsStarted()).as("no election round").isZero();
    assertThat(outbox.tokens()).isEmpty();
    assertThat(outbox.announcements())
        .extracting(sent -> ((LeaderAnnouncement) sent.message()).term())
        .containsExactly(5L);
  }

  @Test
  void whenTheLeaderLeavesCleanlyAFollowerThatIsNotTheSuccessorElectsAsAfterAFailure() {
    LcrElection election = server3Following(SERVER5, 4);

    live.remove(SERVER5);
    election.onMemberLeft(SERVER5, T0 + 1); // server4 outranks server3 and takes over

    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.term()).isEqualTo(5);
    assertThat(tokenOf(outbox.onlyToken()).candidate()).isEqualTo(SERVER3);
    election.onAnnouncement(SERVER4, new LeaderAnnouncement(5), T0 + 2);
    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(election.leader()).isEqualTo(SERVER4);
  }

  @Test
  void memberOtherThanTheLeaderGoingLeavesAFollowerAlone() {
    LcrElection election = server3Following(SERVER5, 4);

    live.remove(SERVER1);
    election.onMemberGone(SERVER1, T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(election.leader()).isEqualTo(SERVER5);
    assertThat(outbox.sent).isEmpty();
  }

  @Test
  void candidateTheNodeBackedGoingStartsANewTermAtOnce() {
    LcrElection election = server3();
    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0);
    outbox.clear();

    live.remove(SERVER5);
    election.onMemberGone(SERVER5, T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.term()).isEqualTo(2);
    assertThat(tokenOf(outbox.onlyToken()))
        .extracting(Election::term, Election::candidate)
        .containsExactly(2L, SERVER3);
  }

  @Test
  void memberThatIsNeitherTheSuccessorNorTheBackedCandidateGoingDoesNotDisturbAnElection() {
    LcrElection election = server3();
    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0);
    outbox.clear();

    live.remove(SERVER1);
    election.onMemberGone(SERVER1, T0 + 1);

    assertThat(election.term()).isEqualTo(1);
    assertThat(outbox.sent).isEmpty();
  }

  // ------------------------------------------------------------------ timeouts and activation

  @Test
  void electionWithoutAWinnerStartsAgainInAHigherTermAfterTheElectionTimeout() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    Election token = tokenOf(outbox.onlyToken());
    election.onElectionAck(SERVER4, new ElectionAck(token.term(), token.messageId()));
    outbox.clear();

    election.onTick(T0 + ELECTION_TIMEOUT - 1);
    assertThat(election.term()).isEqualTo(1);
    assertThat(outbox.sent).isEmpty();

    election.onTick(T0 + ELECTION_TIMEOUT);
    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.term()).isEqualTo(2);
    assertThat(election.electionsStarted()).isEqualTo(2);
    assertThat(tokenOf(outbox.onlyToken()))
        .extracting(Election::term, Election::candidate)
        .containsExactly(2L, SERVER3);
  }

  @Test
  void nodeThatJoinedAnElectionAlsoStartsAHigherTermWhenNoWinnerIsHeardInTime() {
    LcrElection election = server3();
    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0);
    Election token = tokenOf(outbox.onlyToken());
    election.onElectionAck(SERVER4, new ElectionAck(token.term(), token.messageId()));
    outbox.clear();

    election.onTick(T0 + ELECTION_TIMEOUT);

    assertThat(election.term()).isEqualTo(2);
    assertThat(tokenOf(outbox.onlyToken()).candidate()).isEqualTo(SERVER3);
  }

  @Test
  void leaderlessNodeStartsAnElectionAfterTheElectionTimeout() {
    LcrElection election = server3Following(SERVER5, 1);
    long t1 = T0 + 50;
    election.onHeartbeat(SERVER5, heartbeat(null, 1), t1);
    assertThat(election.state()).isEqualTo(ElectionState.LEADERLESS);

    election.onTick(t1 + ELECTION_TIMEOUT - 1);
    assertThat(election.state()).isEqualTo(ElectionState.LEADERLESS);
    assertThat(outbox.sent).isEmpty();

    election.onTick(t1 + ELECTION_TIMEOUT);
    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.term()).isEqualTo(2);
    assertThat(outbox.onlyToken().to()).isEqualTo(SERVER4);
  }

  @Test
  void activatedNodeWithoutALeaderStartsAnElectionOnceTheSettleDelayHasPassed() {
    LcrElection election = election(SERVER3, SERVER1, SERVER2, SERVER4, SERVER5);

    election.activate(T0, 500);

    assertThat(outbox.sent).isEmpty();
    assertThat(election.nextDeadlineNanos()).isEqualTo(T0 + 500);
    election.onTick(T0 + 499);
    assertThat(election.state()).isEqualTo(ElectionState.LEADERLESS);
    assertThat(outbox.sent).isEmpty();

    election.onTick(T0 + 500);
    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.term()).isEqualTo(1);
    assertThat(outbox.onlyToken().to()).isEqualTo(SERVER4);
  }

  @Test
  void activatedNodeWithoutALeaderAndNoSettleDelayStartsAnElectionAtOnce() {
    LcrElection election = election(SERVER3, SERVER1, SERVER2, SERVER4, SERVER5);

    election.activate(T0, 0);

    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(outbox.onlyToken().to()).isEqualTo(SERVER4);
  }

  @Test
  void nodeThatFoundALeaderBeforeActivationFollowsItWithoutAnElection() {
    LcrElection election = election(SERVER3, SERVER1, SERVER2, SERVER4, SERVER5);
    election.onHeartbeat(SERVER5, heartbeat(SERVER5, 2), T0);

    election.activate(T0 + 1, 500);
    election.onTick(T0 + 1 + ELECTION_TIMEOUT);

    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(election.leader()).isEqualTo(SERVER5);
    assertThat(election.term()).isEqualTo(2);
    assertThat(election.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
    assertThat(outbox.sent).isEmpty();
  }

  @Test
  void nodeThatOutranksTheLeaderItFoundStartsAnElectionWhenActivated() {
    LcrElection election = election(SERVER3, SERVER1, SERVER2, SERVER4);
    election.onHeartbeat(SERVER2, heartbeat(SERVER2, 2), T0);
    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(outbox.sent).as("no election before activation").isEmpty();

    election.activate(T0 + 1, 500);

    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.term()).isEqualTo(3);
    assertThat(tokenOf(outbox.onlyToken()).candidate()).isEqualTo(SERVER3);
  }

  /**
   * A starting node hears a lone leader's heartbeat during discovery and follows it; the leader
   * then leaves (or fails) before discovery ends. The gone report arrives while the node is not
   * yet active. Once active, it must not go on following a member that is gone: "Follow only a
   * live member, so the failure detector will say when the leader is gone" — and the detector
   * already said so.
   */
  @Test
  void leaderThatWentAwayBeforeActivationIsNotFollowedOnceTheNodeTakesPart() {
    LcrElection election = election(SERVER1, SERVER5);
    election.onHeartbeat(SERVER5, heartbeat(SERVER5, 1), T0);
    assertThat(election.leader()).isEqualTo(SERVER5);
    live.remove(SERVER5);
    election.onMemberGone(SERVER5, T0 + 1);

    election.activate(T0 + 2, 500);
    election.onTick(T0 + 2 + 500);
    election.onTick(T0 + 2 + ELECTION_TIMEOUT);

    assertThat(election.leader()).as("leader after activation").isNotEqualTo(SERVER5);
    assertThat(election.state()).as("alone, it elects itself").isEqualTo(ElectionState.LEADING);
  }

  @Test
  void inactiveNodeStartsNoElectionOnItsOwn() {
    LcrElection election = election(SERVER3, SERVER1, SERVER2, SERVER4, SERVER5);

    election.onTick(T0 + 100 * ELECTION_TIMEOUT);

    assertThat(election.state()).isEqualTo(ElectionState.LEADERLESS);
    assertThat(outbox.sent).isEmpty();
  }

  // ------------------------------------------------------------------ leader claims

  @Test
  void leaderlessNodeFollowsTheHeartbeatClaimOfALiveLeader() {
    LcrElection election = server3();

    election.onHeartbeat(SERVER5, heartbeat(SERVER5, 1), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(election.leader()).isEqualTo(SERVER5);
    assertThat(election.term()).isEqualTo(1);
    assertThat(outbox.sent).isEmpty();
  }

  @Test
  void electingNodeFollowsTheAnnouncementOfTheWinner() {
    LcrElection election = server3();
    election.onElection(SERVER2, new Election(1, 40, SERVER5), T0);
    outbox.clear();

    election.onAnnouncement(SERVER5, new LeaderAnnouncement(1), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(election.leader()).isEqualTo(SERVER5);
    assertThat(election.pendingTokens()).isZero();
    assertThat(election.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void claimInAHigherTermIsFollowedEvenFromALowerId() {
    LcrElection election = server3Following(SERVER5, 1);

    election.onAnnouncement(SERVER4, new LeaderAnnouncement(2), T0 + 1);

    assertThat(election.leader()).isEqualTo(SERVER4);
    assertThat(election.term()).isEqualTo(2);
  }

  @Test
  void claimInTheSameTermFromAHigherIdIsFollowed() {
    LcrElection election = server3Following(SERVER4, 1);

    election.onHeartbeat(SERVER5, heartbeat(SERVER5, 1), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(election.leader()).isEqualTo(SERVER5);
  }

  @Test
  void claimInTheSameTermFromALowerIdIsIgnored() {
    LcrElection election = server3Following(SERVER5, 1);

    election.onHeartbeat(SERVER4, heartbeat(SERVER4, 1), T0 + 1);

    assertThat(election.leader()).isEqualTo(SERVER5);
  }

  @Test
  void claimFromAnOlderTermIsIgnoredByAFollower() {
    LcrElection election = server3Following(SERVER4, 2);

    election.onAnnouncement(SERVER5, new LeaderAnnouncement(1), T0 + 1);

    assertThat(election.leader()).isEqualTo(SERVER4);
    assertThat(election.term()).isEqualTo(2);
  }

  @Test
  void claimFromAnOlderTermIsIgnoredDuringAnElection() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    election.startElection(T0, "test again");

    election.onAnnouncement(SERVER5, new LeaderAnnouncement(1), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.term()).isEqualTo(2);
  }

  @Test
  void claimFromAMemberThatIsNotLiveIsIgnored() {
    LcrElection election = server3();

    election.onAnnouncement(id("server9"), new LeaderAnnouncement(5), T0 + 1);
    election.onHeartbeat(id("server9"), heartbeat(id("server9"), 5), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.LEADERLESS);
    assertThat(election.leader()).isNull();
    assertThat(election.term()).isZero();
  }

  @Test
  void leaderFollowsAStrongerLeaderItMeetsAndStopsAnnouncing() {
    LcrElection election = server3Leading(T0);

    election.onHeartbeat(SERVER5, heartbeat(SERVER5, 1), T0 + 1);
    election.onTick(T0 + ACK_TIMEOUT);
    election.onTick(T0 + 2 * ACK_TIMEOUT);

    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(election.leader()).isEqualTo(SERVER5);
    assertThat(outbox.announcements()).isEmpty();
  }

  @Test
  void leaderIgnoresAWeakerLeaderOfTheSameTerm() {
    LcrElection election = server3Leading(T0);

    election.onHeartbeat(SERVER2, heartbeat(SERVER2, 1), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.LEADING);
    assertThat(election.leader()).isEqualTo(SERVER3);
  }

  @Test
  void leaderMeetingALowerLeaderOfAHigherTermFollowsItThenStartsAnElectionItWillWin() {
    LcrElection election = server3Leading(T0);

    election.onHeartbeat(SERVER2, heartbeat(SERVER2, 3), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.term()).isEqualTo(4);
    assertThat(tokenOf(outbox.onlyToken()).candidate()).isEqualTo(SERVER3);
  }

  @Test
  void followerThatOutranksItsLeaderStartsAnElection() {
    LcrElection election = server3();

    election.onAnnouncement(SERVER2, new LeaderAnnouncement(1), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.ELECTING);
    assertThat(election.term()).isEqualTo(2);
    Sent token = outbox.onlyToken();
    assertThat(token.to()).isEqualTo(SERVER4);
    assertThat(tokenOf(token))
        .extracting(Election::term, Election::candidate)
        .containsExactly(2L, SERVER3);
  }

  @Test
  void followerBecomesLeaderlessWhenItsLeadersHeartbeatNoLongerNamesItself() {
    LcrElection election = server3Following(SERVER5, 1);

    election.onHeartbeat(SERVER5, heartbeat(null, 1), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.LEADERLESS);
    assertThat(election.leader()).isNull();
    assertThat(election.nextDeadlineNanos()).isEqualTo(T0 + 1 + ELECTION_TIMEOUT);
  }

  @Test
  void followerBecomesLeaderlessWhenItsLeaderNowFollowsAnotherNode() {
    LcrElection election = server3Following(SERVER5, 1);

    election.onHeartbeat(SERVER5, heartbeat(SERVER4, 2), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.LEADERLESS);
    assertThat(election.leader()).isNull();
  }

  @Test
  void leadersHeartbeatFromAnOlderTermNotNamingItselfIsIgnored() {
    LcrElection election = server3Following(SERVER5, 2);

    election.onHeartbeat(SERVER5, heartbeat(null, 1), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(election.leader()).isEqualTo(SERVER5);
  }

  @Test
  void heartbeatOfAnotherFollowerDoesNotUnsettleAFollower() {
    LcrElection election = server3Following(SERVER5, 1);

    election.onHeartbeat(SERVER4, heartbeat(SERVER5, 1), T0 + 1);
    election.onHeartbeat(SERVER1, heartbeat(null, 1), T0 + 1);

    assertThat(election.state()).isEqualTo(ElectionState.FOLLOWING);
    assertThat(election.leader()).isEqualTo(SERVER5);
  }

  // ------------------------------------------------------------------ announcements

  @Test
  void newLeaderRepeatsItsAnnouncementAnnounceRepeatsTimesAckTimeoutApart() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    outbox.clear();
    long won = T0 + 7;
    election.onElection(SERVER2, new Election(1, 40, SERVER3), won);
    assertThat(outbox.announcements()).hasSize(1);
    assertThat(election.nextDeadlineNanos()).isEqualTo(won + ACK_TIMEOUT);

    election.onTick(won + ACK_TIMEOUT - 1);
    assertThat(outbox.announcements()).hasSize(1);

    election.onTick(won + ACK_TIMEOUT);
    assertThat(outbox.announcements()).hasSize(2);
    assertThat(election.nextDeadlineNanos()).isEqualTo(won + 2 * ACK_TIMEOUT);

    election.onTick(won + 2 * ACK_TIMEOUT);
    assertThat(outbox.announcements()).hasSize(1 + ANNOUNCE_REPEATS);
    assertThat(election.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);

    election.onTick(won + 10 * ACK_TIMEOUT);
    assertThat(outbox.announcements())
        .hasSize(1 + ANNOUNCE_REPEATS)
        .containsOnly(sent(null, new LeaderAnnouncement(1)));
  }

  // ------------------------------------------------------------------ next deadline

  @Test
  void nextDeadlineIsNeverBeforeActivation() {
    LcrElection election = election(SERVER3, SERVER1, SERVER2, SERVER4, SERVER5);

    assertThat(election.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void nextDeadlineIsThePendingTokensRetryThenTheElectionTimeoutOnceAcknowledged() {
    LcrElection election = server3();
    election.startElection(T0, "test");
    Election token = tokenOf(outbox.onlyToken());

    assertThat(election.nextDeadlineNanos()).isEqualTo(T0 + ACK_TIMEOUT);

    election.onTick(T0 + ACK_TIMEOUT);
    assertThat(election.nextDeadlineNanos()).isEqualTo(T0 + 2 * ACK_TIMEOUT);

    election.onElectionAck(SERVER4, new ElectionAck(token.term(), token.messageId()));
    assertThat(election.nextDeadlineNanos()).isEqualTo(T0 + ELECTION_TIMEOUT);
  }

  @Test
  void nextDeadlineIsNeverForAFollowerWithNothingPending() {
    LcrElection election = server3Following(SERVER5, 1);

    assertThat(election.nextDeadlineNanos()).isEqualTo(Long.MAX_VALUE);
  }

  // ------------------------------------------------------------------ bounds

  @Test
  void pendingTokensStayBoundedWhenNoTokenIsEverAcknowledged() {
    NodeId self = id("a");
    LcrElection election = election(self, id("b"));
    election.activate(T0, LONG_SETTLE);

    // Each token names a higher candidate than the last, so each is forwarded, and none is acked.
    int pendingAfterHalf = 0;
    for (int i = 1; i <= 1_000; i++) {
      election.onElection(id("b"), new Election(1, i, id("c" + i)), T0 + i);
      if (i == 500) {
        pendingAfterHalf = election.pendingTokens();
      }
    }

    assertThat(outbox.tokens()).hasSize(1_000);
    assertThat(pendingAfterHalf).isLessThan(500);
    assertThat(election.pendingTokens()).isEqualTo(pendingAfterHalf);
  }
}
