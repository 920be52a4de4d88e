package io.github.ringleader.messaging.transport.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The server-wide budget of sends and its turns, without sockets. */
class SendTurnsTest {
  @Test
  void withoutContentionSendsGoStraightOnUpToTheBudget() {
    SendTurns<String> turns = new SendTurns<>(2);
    assertThat(turns.tryTake("a")).isTrue();
    assertThat(turns.tryTake("a")).isTrue();
    assertThat(turns.tryTake("a")).isFalse();
    assertThat(turns.inFlight()).isEqualTo(2);
    turns.release(1);
    assertThat(turns.tryTake("b")).isTrue();
  }

  @Test
  void turnsGoRoundOneSendEachAndNobodyOvertakesTheLine() {
    SendTurns<String> turns = new SendTurns<>(1);
    assertThat(turns.tryTake("flood")).isTrue();
    assertThat(turns.tryTake("flood")).isFalse();
    turns.await("flood");
    assertThat(turns.tryTake("quiet")).isFalse();
    turns.await("quiet");

    turns.release(1);
    // A newcomer finds a free slot but others waiting: it queues too.
    assertThat(turns.tryTake("late")).isFalse();
    turns.await("late");
    assertThat(turns.nextTurn()).isEqualTo("flood");
    assertThat(turns.tryTake("flood")).isTrue();
    assertThat(turns.tryTake("flood")).as("one send per turn").isFalse();
    turns.await("flood");
    turns.endTurn();
    assertThat(turns.nextTurn()).as("the budget is used up").isNull();

    turns.release(1);
    assertThat(turns.nextTurn()).isEqualTo("quiet");
    assertThat(turns.tryTake("quiet")).isTrue();
    turns.endTurn();
    turns.release(1);
    assertThat(turns.nextTurn()).isEqualTo("late");
    turns.endTurn(); // unused (it closed meanwhile, say): the slot stays free
    assertThat(turns.nextTurn()).isEqualTo("flood");
    assertThat(turns.waiting()).isZero();
    assertThat(turns.anyWaiting()).isFalse();
  }

  @Test
  void aClosingConnectionGivesBackWhatItHad() {
    SendTurns<String> turns = new SendTurns<>(3);
    turns.tryTake("a");
    turns.tryTake("a");
    turns.tryTake("b");
    turns.release(2);
    assertThat(turns.inFlight()).isEqualTo(1);
    turns.release(0);
    assertThat(turns.inFlight()).isEqualTo(1);
  }

  @Test
  void zeroMeansNoBudgetAndNoTurns() {
    SendTurns<String> turns = new SendTurns<>(0);
    for (int i = 0; i < 10_000; i++) {
      assertThat(turns.tryTake("a")).isTrue();
    }
    assertThat(turns.nextTurn()).isNull();
    assertThatThrownBy(() -> new SendTurns<String>(-1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
