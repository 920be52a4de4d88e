package io.github.ringleader.messaging.sim;

import static org.assertj.core.api.Assertions.as;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The delivery checker, on small synthetic histories: each violation class is caught, with a
 * message naming the clients and the message, and correct histories pass. Times are in
 * milliseconds of virtual time; the check window ends at {@link #END}.
 */
class DeliveryCheckerTest {

  private static final long END = ms(1_000);

  private final DeliveryChecker checker = new DeliveryChecker();

  private static long ms(long millis) {
    return millis * 1_000_000;
  }

  private void connect(String... names) {
    for (String name : names) {
      checker.connected(name, 0);
    }
  }

  /** sender broadcasts id at time t (ms) and the server acknowledges it 1 ms later. */
  private void broadcast(String sender, long id, long t) {
    checker.sent(sender, id, null, ms(t));
    checker.acked(sender, id, ms(t + 1));
  }

  /** sender sends id privately to {@code to} at time t (ms), acknowledged 1 ms later. */
  private void tell(String sender, long id, String to, long t) {
    checker.sent(sender, id, to, ms(t));
    checker.acked(sender, id, ms(t + 1));
  }

  /** Each recipient receives the broadcast (sender, id) at time t (ms). */
  private void deliverBroadcast(String sender, long id, long t, String... recipients) {
    for (String recipient : recipients) {
      checker.received(recipient, sender, id, null, ms(t));
    }
  }

  private List<String> violations() {
    return checker.violations(END, END);
  }

  // ------------------------------------------------------------------ correct histories

  @Test
  void aCorrectHistoryOfBroadcastsAndPrivateMessagesHasNoViolations() {
    connect("alice", "bob", "carol");
    broadcast("alice", 1, 10);
    tell("bob", 1, "carol", 11);
    broadcast("carol", 1, 12);
    checker.sent("bob", 2, "nobody", ms(13));
    checker.rejected("bob", 2, ms(14));
    deliverBroadcast("alice", 1, 20, "alice", "bob", "carol");
    checker.received("carol", "bob", 1, "carol", ms(21));
    deliverBroadcast("carol", 1, 22, "alice", "bob", "carol");

    assertThat(violations()).isEmpty();
    assertThat(violations()).as("asking twice gives the same answer").isEmpty();
  }

  @Test
  void theSenderSeesItsOwnBroadcastAndThatIsNeitherMisdeliveredNorLost() {
    connect("alice", "bob");
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice", "bob");

    assertThat(violations()).isEmpty();
  }

  // ------------------------------------------------------------------ duplicates

  @Test
  void aRecipientThatReceivesTheSameMessageTwiceInOneSessionGetsADuplicate() {
    connect("alice", "bob");
    broadcast("alice", 7, 10);
    deliverBroadcast("alice", 7, 20, "alice", "bob");
    deliverBroadcast("alice", 7, 30, "bob");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[duplicate] ")
        .contains(
            "bob (session 1)", "alice#7 (broadcast)", "twice", "t=20.000000ms", "t=30.000000ms");
  }

  @Test
  void receivingTheSameMessageAgainInANewSessionIsNotADuplicate() {
    connect("alice", "bob");
    broadcast("alice", 7, 10);
    deliverBroadcast("alice", 7, 20, "alice", "bob");
    checker.disconnected("bob", ms(25));
    checker.connected("bob", ms(26));
    deliverBroadcast("alice", 7, 30, "bob");

    assertThat(violations()).isEmpty();
  }

  // ------------------------------------------------------------------ invention

  @Test
  void aMessageItsSenderNeverSentIsAnInvention() {
    connect("alice", "bob");
    deliverBroadcast("alice", 99, 20, "bob");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[invented] ")
        .contains("bob (session 1)", "alice#99", "alice never sent id 99");
  }

  @Test
  void aBroadcastReceivedAsAPrivateMessageIsAnInvention() {
    connect("alice", "bob", "carol");
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice", "carol");
    checker.received("bob", "alice", 1, "carol", ms(20));

    assertThat(violations())
        .anySatisfy(v -> assertThat(v)
            .startsWith("[invented] ")
            .contains(
                "bob (session 1)", "alice#1 (private to carol)", "sent as alice#1 (broadcast)"))
        .noneSatisfy(v -> assertThat(v).startsWith("[loss]"));
  }

  @Test
  void aMessageReceivedBeforeItWasSentIsAnInvention() {
    connect("alice", "bob");
    deliverBroadcast("alice", 1, 5, "bob");
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[invented] ")
        .contains("bob (session 1)", "alice#1", "before it was sent at t=10.000000ms");
  }

  @Test
  void aPrivateMessageReceivedBySomeoneOtherThanItsAddresseeIsMisdelivered() {
    connect("alice", "bob", "carol");
    tell("alice", 1, "carol", 10);
    checker.received("carol", "alice", 1, "carol", ms(20));
    checker.received("bob", "alice", 1, "carol", ms(20));

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[misdelivered] ")
        .contains("bob (session 1)", "alice#1 (private to carol)", "for carol only");
  }

  @Test
  void privateMessageAddresseesAndSendersAreComparedIgnoringCase() {
    connect("Alice", "Carol");
    tell("Alice", 1, "carol", 10);
    checker.received("CAROL", "alice", 1, "Carol", ms(20));

    assertThat(violations()).isEmpty();
  }

  @Test
  void aRejectedMessageMustNeverBeDelivered() {
    connect("alice", "bob");
    checker.sent("alice", 1, null, ms(10));
    checker.rejected("alice", 1, ms(11));
    deliverBroadcast("alice", 1, 20, "bob");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[rejected-delivered] ")
        .contains("bob (session 1)", "alice#1 (broadcast)", "rejected it at t=11.000000ms");
  }

  // ------------------------------------------------------------------ FIFO

  @Test
  void messagesFromOneSenderReceivedOutOfSendingOrderViolateFifo() {
    connect("alice", "bob");
    tell("alice", 1, "bob", 10);
    tell("alice", 2, "bob", 11);
    checker.received("bob", "alice", 2, "bob", ms(20));
    checker.received("bob", "alice", 1, "bob", ms(21));

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[fifo] ")
        .contains("bob (session 1)", "alice#1", "after alice#2", "alice sent id 1 before id 2");
  }

  @Test
  void fifoMixesBroadcastsAndPrivateMessagesOfOneSender() {
    connect("alice", "bob");
    broadcast("alice", 1, 10);
    tell("alice", 2, "bob", 11);
    deliverBroadcast("alice", 1, 20, "alice");
    checker.received("bob", "alice", 2, "bob", ms(20));
    deliverBroadcast("alice", 1, 21, "bob");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[fifo] ")
        .contains("bob (session 1)", "alice#1 (broadcast)", "after alice#2 (private to bob)");
  }

  @Test
  void fifoFollowsTheSendersNameAcrossItsSessions() {
    connect("alice", "bob");
    tell("alice", 1, "bob", 10);
    checker.disconnected("alice", ms(12));
    checker.connected("alice", ms(13));
    tell("alice", 2, "bob", 14);
    checker.received("bob", "alice", 2, "bob", ms(20));
    checker.received("bob", "alice", 1, "bob", ms(21));

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[fifo] ")
        .contains("alice sent id 1 before id 2");
  }

  @Test
  void gapsAreNotFifoViolationsAndANewRecipientSessionStartsAfresh() {
    connect("alice", "bob");
    checker.disturbed("bob", ms(15), ms(40));
    tell("alice", 1, "bob", 10);
    tell("alice", 2, "bob", 11);
    tell("alice", 3, "bob", 12);
    checker.received("bob", "alice", 1, "bob", ms(20));
    checker.received("bob", "alice", 3, "bob", ms(21));
    checker.disconnected("bob", ms(30));
    checker.connected("bob", ms(31));
    checker.received("bob", "alice", 2, "bob", ms(32));

    assertThat(violations()).isEmpty();
  }

  // ------------------------------------------------------------------ total order of broadcasts

  @Test
  void twoRecipientsThatSeeTwoBroadcastsInOppositeOrdersViolateTheTotalOrder() {
    connect("alice", "bob", "carol");
    broadcast("alice", 1, 10);
    broadcast("bob", 1, 10);
    deliverBroadcast("bob", 1, 19, "carol");
    deliverBroadcast("alice", 1, 20, "alice", "bob", "carol");
    deliverBroadcast("bob", 1, 21, "alice", "bob");

    assertThat(violations())
        .isNotEmpty()
        .allSatisfy(v -> assertThat(v).startsWith("[total-order] ").contains("carol (session 1)"))
        .anySatisfy(v -> assertThat(v)
            .contains(
                "alice (session 1) and carol (session 1) disagree",
                "alice (session 1) received alice#1 (broadcast) before bob#1 (broadcast)",
                "carol (session 1) received bob#1 (broadcast) before alice#1 (broadcast)"));
  }

  @Test
  void recipientsWithNoBroadcastsInCommonAreNotComparedForOrder() {
    connect("alice", "bob");
    checker.disturbed("alice", 0, END);
    checker.disturbed("bob", 0, END);
    broadcast("alice", 1, 10);
    broadcast("bob", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice");
    deliverBroadcast("bob", 1, 20, "bob");

    assertThat(violations()).isEmpty();
  }

  @Test
  void recipientsThatAgreeOnTheOrderOfTheBroadcastsTheyShareAreFineEvenIfEachMissedSome() {
    connect("alice", "bob", "carol");
    checker.disturbed("carol", 0, END);
    for (long id = 1; id <= 4; id++) {
      broadcast("alice", id, 10 + id);
    }
    for (long id = 1; id <= 4; id++) {
      deliverBroadcast("alice", id, 20 + id, "alice", "bob");
    }
    deliverBroadcast("alice", 1, 30, "carol");
    deliverBroadcast("alice", 3, 31, "carol");

    assertThat(violations()).isEmpty();
  }

  @Test
  void aCycleThroughThreeRecipientsIsCaughtThoughEveryTwoOfThemAgree() {
    connect("alice", "bob", "carol");
    for (String name : List.of("alice", "bob", "carol")) {
      broadcast(name, 1, 10);
    }
    // Every two of them share one broadcast, so no two can disagree; yet no order fits all three.
    // (Each also misses one broadcast, which the loss rule reports; only the order matters here.)
    deliverBroadcast("alice", 1, 20, "alice");
    deliverBroadcast("bob", 1, 21, "alice", "bob");
    deliverBroadcast("carol", 1, 22, "bob", "carol");
    deliverBroadcast("alice", 1, 23, "carol");

    assertThat(violations())
        .filteredOn(v -> v.startsWith("[total-order]"))
        .singleElement(as(STRING))
        .startsWith("[total-order] no single order of broadcasts fits")
        .contains(
            "alice (session 1) received alice#1 (broadcast) before bob#1 (broadcast)",
            "bob (session 1) received bob#1 (broadcast) before carol#1 (broadcast)",
            "carol (session 1) received carol#1 (broadcast) before alice#1 (broadcast)");
  }

  @Test
  void theSenderTakesPartInTheTotalOrderOfItsOwnBroadcasts() {
    connect("alice", "bob");
    broadcast("alice", 1, 10);
    broadcast("bob", 1, 10);
    deliverBroadcast("bob", 1, 20, "alice");
    deliverBroadcast("alice", 1, 21, "alice", "bob");
    deliverBroadcast("bob", 1, 22, "bob");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[total-order] ")
        .contains("alice (session 1) and bob (session 1) disagree");
  }

  // ------------------------------------------------------------------ loss

  @Test
  void anAckedBroadcastThatAConnectedUndisturbedClientNeverReceivedIsLost() {
    connect("alice", "bob", "carol");
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice", "bob");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[loss] ")
        .contains(
            "carol (session 1)",
            "never received alice#1 (broadcast)",
            "sent at t=10.000000ms",
            "acknowledged at t=11.000000ms",
            "neither it nor the sender alice was disturbed");
  }

  @Test
  void theSenderMustReceiveItsOwnAckedBroadcast() {
    connect("alice", "bob");
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "bob");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[loss] ")
        .contains("alice (session 1)", "never received its own alice#1 (broadcast)");
  }

  @Test
  void anAckedPrivateMessageIsOwedToItsAddresseeAlone() {
    connect("alice", "bob", "carol");
    tell("alice", 1, "Bob", 10);

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[loss] ")
        .contains("bob (session 1)", "never received alice#1 (private to Bob)");
  }

  @Test
  void noLossIsFlaggedWhenTheRecipientWasDisturbedBetweenTheSendAndTheEnd() {
    connect("alice", "bob");
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice");
    checker.disturbed("bob", ms(500), ms(600));

    assertThat(violations()).isEmpty();
  }

  @Test
  void noLossIsFlaggedWhenTheSenderWasDisturbedBetweenTheSendAndTheEnd() {
    connect("alice", "bob");
    checker.disturbed("alice", ms(5), ms(10));
    broadcast("alice", 1, 10);

    assertThat(violations()).isEmpty();
  }

  @Test
  void aDisturbanceOutsideTheSendToEndWindowExcusesNoLoss() {
    connect("alice", "bob");
    checker.disturbed("bob", ms(1), ms(9));
    checker.disturbed("alice", END + 1, END + ms(5));
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[loss] ")
        .contains("bob (session 1)", "alice#1");
  }

  @Test
  void noLossIsFlaggedForARecipientThatConnectedAfterTheSend() {
    connect("alice");
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice");
    checker.connected("bob", ms(10) + 1);

    assertThat(violations()).isEmpty();
  }

  @Test
  void aRecipientThatConnectedAtTheVeryMomentOfTheSendIsOwedTheMessage() {
    checker.connected("alice", 0);
    checker.connected("bob", ms(10));
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[loss] ")
        .contains("bob (session 1), connected from t=10.000000ms");
  }

  @Test
  void noLossIsFlaggedForARecipientThatDisconnectedBeforeTheEndEvenIfItCameBack() {
    connect("alice", "bob", "carol");
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice");
    checker.disconnected("bob", ms(500));
    checker.disconnected("carol", ms(500));
    checker.connected("carol", ms(501));

    assertThat(violations()).isEmpty();
  }

  @Test
  void aRecipientThatReconnectedBeforeTheSendIsOwedTheMessageInItsNewSession() {
    connect("alice", "bob");
    checker.disconnected("bob", ms(5));
    checker.connected("bob", ms(6));
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[loss] ")
        .contains("bob (session 2), connected from t=6.000000ms to the end", "alice#1");
  }

  @Test
  void noLossIsFlaggedForAMessageThatWasNeverAckedOrWasRejected() {
    connect("alice", "bob");
    checker.sent("alice", 1, null, ms(10));
    checker.sent("alice", 2, "bob", ms(11));
    checker.rejected("alice", 2, ms(12));

    assertThat(violations()).isEmpty();
  }

  @Test
  void noLossIsFlaggedForAMessageAckedAfterTheLossDeadline() {
    connect("alice", "bob");
    checker.sent("alice", 1, null, ms(10));
    checker.acked("alice", 1, ms(900));

    assertThat(checker.violations(ms(899), END)).isEmpty();
    assertThat(checker.violations(ms(900), END))
        .hasSize(2)
        .allSatisfy(v -> assertThat(v).startsWith("[loss] ").contains("alice#1 (broadcast)"));
  }

  // ------------------------------------------------------------------ sanity

  @Test
  void anAckOrARejectForAMessageNeverSentIsASanityViolation() {
    connect("alice");
    checker.acked("alice", 3, ms(10));
    checker.rejected("Alice", 4, ms(10));

    assertThat(violations())
        .containsExactly(
            "[sanity] alice#3 was acknowledged at t=10.000000ms but alice never sent it",
            "[sanity] Alice#4 was rejected at t=10.000000ms but Alice never sent it");
  }

  @Test
  void aMessageBothAckedAndRejectedIsASanityViolation() {
    connect("alice", "bob");
    checker.sent("alice", 1, "bob", ms(10));
    checker.acked("alice", 1, ms(11));
    checker.rejected("alice", 1, ms(12));

    assertThat(violations())
        .containsExactly(
            "[sanity] alice#1 (private to bob) was both acknowledged (at t=11.000000ms) and"
                + " rejected (at t=12.000000ms)");
  }

  @Test
  void receivingWhileNotConnectedIsASanityViolation() {
    connect("alice");
    broadcast("alice", 1, 10);
    deliverBroadcast("alice", 1, 20, "alice", "bob");

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[sanity] ")
        .contains("bob received alice#1 (broadcast)", "while not connected");
  }

  @Test
  void twoOpenSessionsOfOneNameIgnoringCaseAreASanityViolation() {
    checker.connected("alice", 0);
    checker.connected("ALICE", ms(5));

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[sanity] ")
        .contains("ALICE was welcomed at t=5.000000ms while alice (session 1)");
  }

  @Test
  void sendingTheSameIdTwiceIsASanityViolation() {
    connect("alice");
    checker.sent("alice", 1, null, ms(10));
    checker.sent("alice", 1, null, ms(11));

    assertThat(violations())
        .singleElement(as(STRING))
        .startsWith("[sanity] alice sent id 1 again at t=11.000000ms");
  }

  // ------------------------------------------------------------------ reporting and scale

  @Test
  void manyViolationsOfOneKindAreListedUpToALimitAndTheRestCounted() {
    connect("alice", "bob");
    int lost = DeliveryChecker.MAX_LISTED_PER_KIND + 5;
    for (long id = 1; id <= lost; id++) {
      tell("alice", id, "bob", id);
    }

    assertThat(violations())
        .hasSize(DeliveryChecker.MAX_LISTED_PER_KIND + 1)
        .last(as(STRING))
        .isEqualTo("[loss] ... and 5 more loss violations");
  }

  @Test
  void twentyClientsSendingFiveHundredBroadcastsEachAreCheckedQuickly() {
    int clients = 20;
    int perClient = 500;
    String[] names = new String[clients];
    for (int c = 0; c < clients; c++) {
      names[c] = "client" + c;
      checker.connected(names[c], 0);
    }
    long t = 1;
    for (int id = 1; id <= perClient; id++) {
      for (int c = 0; c < clients; c++) {
        checker.sent(names[c], id, null, t);
        checker.acked(names[c], id, t + 1);
        t += 2;
      }
    }
    // Everyone receives everything in one global order: round by round, senders in turn.
    for (int id = 1; id <= perClient; id++) {
      for (int c = 0; c < clients; c++) {
        for (String recipient : names) {
          checker.received(recipient, names[c], id, null, t);
        }
        t++;
      }
    }

    long started = System.nanoTime();
    List<String> violations = checker.violations(t, t);
    long tookMillis = (System.nanoTime() - started) / 1_000_000;

    assertThat(violations).as("checked in %d ms", tookMillis).isEmpty();
  }

  @Test
  void oneSwappedPairAmongTwentyClientsAndTenThousandBroadcastsIsFound() {
    int clients = 20;
    int perClient = 500;
    String[] names = new String[clients];
    for (int c = 0; c < clients; c++) {
      names[c] = "client" + c;
      checker.connected(names[c], 0);
    }
    long t = 1;
    for (int id = 1; id <= perClient; id++) {
      for (int c = 0; c < clients; c++) {
        checker.sent(names[c], id, null, t);
        checker.acked(names[c], id, t + 1);
        t += 2;
      }
    }
    for (int id = 1; id <= perClient; id++) {
      for (int c = 0; c < clients; c++) {
        for (int r = 0; r < clients; r++) {
          // client7 receives client3#250 and client4#250 the other way round.
          int from = r == 7 && id == 250 && (c == 3 || c == 4) ? 7 - c : c;
          checker.received(names[r], names[from], id, null, t);
        }
        t++;
      }
    }

    List<String> violations = checker.violations(t, t);

    assertThat(violations)
        .hasSize(clients - 1)
        .allSatisfy(v -> assertThat(v)
            .startsWith("[total-order] ")
            .contains("client7 (session 1)", "client3#250 (broadcast)", "client4#250 (broadcast)"));
  }

  // ------------------------------------------------------------------ partition exemptions

  /**
   * The split decision of a cluster without a quorum, as the issue tells it: alice's server is
   * cut off; its side's leader rejects her broadcast while the other side delivers it to bob, and
   * the two sides order alice's and bob's broadcasts differently; carol, on the other side, never
   * gets alice's second broadcast, accepted on alice's side.
   */
  private void splitBrainHistory(DeliveryChecker c) {
    for (String name : List.of("alice", "bob", "carol")) {
      c.connected(name, 0);
    }
    c.disturbed("alice", ms(5), ms(500));
    c.sent("alice", 1, null, ms(10));
    c.rejected("alice", 1, ms(11));
    c.received("bob", "alice", 1, null, ms(20));
    c.sent("alice", 2, null, ms(30));
    c.acked("alice", 2, ms(31));
    c.sent("bob", 1, null, ms(30));
    c.acked("bob", 1, ms(31));
    c.received("alice", "alice", 2, null, ms(32));
    c.received("alice", "bob", 1, null, ms(600));
    c.received("bob", "bob", 1, null, ms(32));
    c.received("bob", "alice", 2, null, ms(600));
    c.received("carol", "bob", 1, null, ms(32));
  }

  @Test
  void byDefaultADisturbedSendersSplitDecisionIsExcused() {
    splitBrainHistory(checker);

    assertThat(violations()).isEmpty();
  }

  @Test
  void withoutPartitionExemptionsASplitDecisionIsCaughtInEveryForm() {
    DeliveryChecker strict = DeliveryChecker.withoutPartitionExemptions();
    splitBrainHistory(strict);

    assertThat(strict.violations(END, END))
        .anySatisfy(v -> assertThat(v)
            .startsWith("[rejected-delivered] ")
            .contains("bob (session 1) received alice#1 (broadcast)"))
        .anySatisfy(v -> assertThat(v)
            .startsWith("[total-order] ")
            .contains("alice (session 1) and bob (session 1) disagree"))
        .anySatisfy(v -> assertThat(v)
            .startsWith("[loss] ")
            .contains(
                "carol (session 1)",
                "never received alice#2 (broadcast)",
                "it was not told of a loss (without partition exemptions)"));
  }

  @Test
  void withoutPartitionExemptionsADisturbedRecipientIsStillOwedEveryAcceptedMessage() {
    DeliveryChecker strict = DeliveryChecker.withoutPartitionExemptions();
    strict.connected("alice", 0);
    strict.connected("bob", 0);
    strict.disturbed("bob", ms(5), ms(500));
    strict.sent("alice", 1, null, ms(10));
    strict.acked("alice", 1, ms(11));
    strict.received("alice", "alice", 1, null, ms(12));

    assertThat(strict.violations(END, END))
        .singleElement(as(STRING))
        .startsWith("[loss] ")
        .contains("bob (session 1)", "never received alice#1 (broadcast)");
  }

  @Test
  void aLossTheClientWasToldOfIsExcusedInBothModes() {
    for (DeliveryChecker c : List.of(checker, DeliveryChecker.withoutPartitionExemptions())) {
      c.connected("alice", 0);
      c.connected("bob", 0);
      c.sent("alice", 1, null, ms(10));
      c.acked("alice", 1, ms(11));
      c.received("alice", "alice", 1, null, ms(12));
      c.toldOfLoss("bob", ms(5), ms(50));

      assertThat(c.violations(END, END)).isEmpty();
    }
  }
}
