package io.github.ringleader.messaging.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.protocol.Heartbeat;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TimingsCheckTest {

  private static final NodeId SERVER4 = NodeId.of("server4");
  private static final NodeId SERVER5 = NodeId.of("server5");

  private final TimingsCheck check = new TimingsCheck(Duration.ofSeconds(2), 3, 2);

  private static Heartbeat announcing(int intervalMillis, int missed) {
    return new Heartbeat(7, 5004, null, 1, 0, 100, "", intervalMillis, missed);
  }

  @Test
  void aMemberWithOtherTimingsIsReportedOnceSayingWhatToDoAndWhatHappens() {
    assertThat(check.onHeartbeat(SERVER4, announcing(5_000, 3)))
        .isEqualTo(
            "server4 sends heartbeats every 5s (× 3 missed), this server every 2s (× 3): start"
                + " every server with the same heartbeat interval and missed count (--heartbeat,"
                + " --missed); until then this server fails server4 after 15s of silence, as it"
                + " asks");
    assertThat(check.onHeartbeat(SERVER4, announcing(5_000, 3)))
        .as("the same again")
        .isNull();
  }

  @Test
  void aChangeOfTimingsIsReportedAgainAndAMatchingMemberNever() {
    assertThat(check.onHeartbeat(SERVER4, announcing(2_000, 3))).isNull();
    assertThat(check.onHeartbeat(SERVER4, announcing(2_000, 5))).contains("every 2s (× 5 missed)");
    assertThat(check.onHeartbeat(SERVER4, announcing(2_000, 3)))
        .as("back in line")
        .isNull();
    assertThat(check.onHeartbeat(SERVER4, announcing(2_000, 5))).as("out again").isNotNull();
    assertThat(check.onHeartbeat(SERVER4, new Heartbeat(0, 0, null, 0, 0, 0)))
        .as("not said")
        .isNull();
  }

  @Test
  void timingsBeyondTheBoundAreReportedAsFlappingNotAsHonoured() {
    assertThat(check.onHeartbeat(SERVER5, announcing(30_000, 3)))
        .endsWith(
            "; it asks to be failed only after 90s of silence, more than this server waits for any"
                + " member (60s, 10 × its own failure timeout), so server5 will be seen to fail and"
                + " rejoin");
  }

  @Test
  void fasterTimingsAreReportedAsJudgedByThisServersOwnTimeout() {
    assertThat(check.onHeartbeat(SERVER4, announcing(500, 3)))
        .endsWith(
            "; until then this server fails server4 after 6s of silence, its own failure timeout"
                + " (never sooner), not the 1.5s it asks for");
  }

  @Test
  void whatItRemembersIsBoundedAndTheLongestUnheardIsForgottenFirst() {
    check.onHeartbeat(SERVER4, announcing(5_000, 3));
    check.onHeartbeat(SERVER5, announcing(5_000, 3));
    check.onHeartbeat(NodeId.of("server6"), announcing(5_000, 3)); // forgets server4

    assertThat(check.onHeartbeat(SERVER5, announcing(5_000, 3))).isNull();
    assertThat(check.onHeartbeat(SERVER4, announcing(5_000, 3)))
        .as("forgotten: told again")
        .isNotNull();
  }

  @Test
  void anIntervalIsAnnouncedInWholeMillisecondsRoundedUp() {
    assertThat(TimingsCheck.announcedMillis(Duration.ofMillis(2000))).isEqualTo(2000);
    assertThat(TimingsCheck.announcedMillis(Duration.ofNanos(1_500_000))).isEqualTo(2);
    assertThat(TimingsCheck.announcedMillis(Duration.ofNanos(10))).isEqualTo(1);
    assertThat(TimingsCheck.announcedMillis(Duration.ofDays(30))).isEqualTo(Integer.MAX_VALUE);
  }
}
