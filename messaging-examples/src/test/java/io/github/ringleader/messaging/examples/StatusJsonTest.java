package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.MemberInfo;
import io.github.ringleader.messaging.node.NodeId;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The hand-written JSON of /status: escaping, and the bounded timeline behind its events. */
class StatusJsonTest {

  @Test
  void everyStringIsEscapedSoThatItParsesBackToItself() {
    String nasty =
        "quote \" backslash \\ newline \n tab \t bell \u0007 nul \u0000 sep \u2028 <script> é 日本";
    StringBuilder out = new StringBuilder();

    Json.string(out, nasty);

    assertThat(out.toString()).doesNotContain("\n").doesNotContain("<");
    assertThat(JsonParser.parse(out.toString())).isEqualTo(nasty);
    assertThat(Json.string(new StringBuilder(), null).toString()).isEqualTo("null");
  }

  @Test
  void numbersAreAlwaysValidJson() {
    for (double value :
        new double[] {0, 1.5, 9, 1e20, 1.0 / 3, Double.NaN, Double.POSITIVE_INFINITY}) {
      String text = Json.number(new StringBuilder(), value).toString();
      assertThat(JsonParser.parse(text)).as(text).isInstanceOf(Number.class);
    }
    assertThat(Json.number(new StringBuilder(), 9).toString()).isEqualTo("9.0");
    assertThat(Json.number(new StringBuilder(), 1.0 / 3).toString()).isEqualTo("0.333");
  }

  @Test
  void theTimelineKeepsTheNewest200InOrderWithTheTermOfTheTime() {
    AtomicLong clock = new AtomicLong(1000);
    NodeTimeline timeline = new NodeTimeline(clock::getAndIncrement);
    MemberInfo server2 = new MemberInfo(NodeId.of("server2"), 1, 5002, 0, 100);

    timeline.onLeaderChanged(null, 3);
    timeline.onLeaderChanged(NodeId.of("server3"), 3);
    timeline.onMemberFailed(server2);
    List<NodeTimeline.Event> events = timeline.events();

    assertThat(events)
        .containsExactly(
            new NodeTimeline.Event(
                1000, "election", null, 3, "no leader: election under way (term 3)"),
            new NodeTimeline.Event(1001, "leader", "server3", 3, "server3 leads (term 3)"),
            new NodeTimeline.Event(
                1002,
                "failed",
                "server2",
                3,
                "server2 failed (silent for its failure timeout, or restarted)"));

    for (int i = 0; i < 300; i++) {
      timeline.onMemberJoined(server2);
      timeline.onMemberLeft(server2);
    }
    events = timeline.events();
    assertThat(events).hasSize(NodeTimeline.CAPACITY);
    assertThat(events.get(events.size() - 1).kind()).isEqualTo("left");
    assertThat(events).extracting(NodeTimeline.Event::time).isSorted();
  }
}
