package io.github.ringleader.messaging.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.loop.Ticking;
import io.github.ringleader.messaging.session.ServerEvent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The node's own timed parts, each as a {@link Ticking}: their deadlines and what a tick does. */
class TimedPartsTest {
  private static final long INTERVAL = 1_000;

  @Test
  void theEarliestDeadlineOfSeveralPartsWinsAndNoneMeansNone() {
    Heartbeater early = new Heartbeater(INTERVAL, () -> {});
    Heartbeater late = new Heartbeater(5 * INTERVAL, () -> {});
    early.start(0);
    late.start(0);

    assertThat(Ticking.earliestDeadline(List.of(late, early))).isEqualTo(INTERVAL);
    assertThat(Ticking.earliestDeadline(List.of())).isEqualTo(Ticking.NONE);
  }

  @Nested
  class DiscoveryWindow {
    private final List<String> done = new ArrayList<>();
    private final Discovery discovery = new Discovery(3 * INTERVAL, new Discovery.Host() {
      @Override
      public void sendProbe() {
        done.add("probe");
      }

      @Override
      public void windowClosed(long nowNanos) {
        done.add("closed@" + nowNanos);
      }
    });

    @Test
    void probesThreeTimesSpreadOverTheWindowThenCloses() {
      assertThat(discovery.nextDeadlineNanos()).isEqualTo(Ticking.NONE);
      discovery.start(0);
      assertThat(done).containsExactly("probe");
      assertThat(discovery.nextDeadlineNanos()).isEqualTo(INTERVAL);

      discovery.onTick(INTERVAL - 1); // early: nothing
      discovery.onTick(INTERVAL);
      assertThat(discovery.nextDeadlineNanos()).isEqualTo(2 * INTERVAL);
      discovery.onTick(2 * INTERVAL);
      assertThat(discovery.nextDeadlineNanos())
          .as("no more probes: the end of the window")
          .isEqualTo(3 * INTERVAL);
      discovery.onTick(3 * INTERVAL);

      assertThat(done).containsExactly("probe", "probe", "probe", "closed@" + 3 * INTERVAL);
      assertThat(discovery.isOpen()).isFalse();
      assertThat(discovery.nextDeadlineNanos()).isEqualTo(Ticking.NONE);
    }

    @Test
    void withoutAWindowTheNodeRunsAtOnceUnprobed() {
      Discovery none = new Discovery(0, new Discovery.Host() {
        @Override
        public void sendProbe() {
          done.add("probe");
        }

        @Override
        public void windowClosed(long nowNanos) {
          done.add("closed@" + nowNanos);
        }
      });
      none.start(7);

      assertThat(done).containsExactly("closed@7");
      assertThat(none.nextDeadlineNanos()).isEqualTo(Ticking.NONE);
    }
  }

  @Nested
  class Heartbeats {
    private final List<Long> sent = new ArrayList<>();
    private long now;
    private final Heartbeater heartbeater = new Heartbeater(INTERVAL, () -> sent.add(now));

    @Test
    void noneUntilStartedThenOnePerIntervalOnTheGrid() {
      assertThat(heartbeater.nextDeadlineNanos()).isEqualTo(Ticking.NONE);
      heartbeater.start(now = 100);
      assertThat(heartbeater.nextDeadlineNanos()).isEqualTo(100 + INTERVAL);

      heartbeater.onTick(now = 100 + INTERVAL - 1); // early: nothing
      heartbeater.onTick(now = 100 + INTERVAL + 30); // a little late
      assertThat(heartbeater.nextDeadlineNanos())
          .as("a late beat does not push the next ones back")
          .isEqualTo(100 + 2 * INTERVAL);

      assertThat(sent).containsExactly(100L, 100 + INTERVAL + 30);
    }

    @Test
    void aNodeThatFellAWholeIntervalBehindStartsAfreshInsteadOfBursting() {
      heartbeater.start(now = 0);
      heartbeater.onTick(now = 5 * INTERVAL);

      assertThat(sent).containsExactly(0L, 5 * INTERVAL);
      assertThat(heartbeater.nextDeadlineNanos()).isEqualTo(6 * INTERVAL);
    }
  }

  @Nested
  class ServerListChanges {
    private final List<ServerEvent.Servers> told = new ArrayList<>();
    private ServerEvent.Servers current = list(0, true);
    private int clients = 1;
    private final ServerListNews news = new ServerListNews(INTERVAL, new ServerListNews.Clients() {
      @Override
      public int count() {
        return clients;
      }

      @Override
      public ServerEvent.Servers current() {
        return current;
      }

      @Override
      public void tell(ServerEvent.Servers servers) {
        told.add(servers);
      }
    });

    private static ServerEvent.Servers list(int load, boolean server1Leads) {
      return new ServerEvent.Servers(
          NodeId.of("server1"),
          List.of(
              new ServerEvent.ServerInfo(NodeId.of("server1"), "", 5001, load, 10, server1Leads),
              new ServerEvent.ServerInfo(NodeId.of("server2"), "", 5002, 0, 10, !server1Leads)));
    }

    @Test
    void aChangeOfLoadAloneWaitsForTheIntervalAndItsDeadlineWakesTheNode() {
      news.onChange(0);
      assertThat(told).containsExactly(list(0, true));
      assertThat(news.nextDeadlineNanos()).as("nothing held back").isEqualTo(Ticking.NONE);

      current = list(3, true);
      news.onChange(10);
      assertThat(told).hasSize(1);
      assertThat(news.nextDeadlineNanos()).isEqualTo(INTERVAL);

      news.onTick(INTERVAL - 1);
      assertThat(told).hasSize(1);
      news.onTick(INTERVAL);
      assertThat(told).containsExactly(list(0, true), list(3, true));
      assertThat(news.nextDeadlineNanos()).isEqualTo(Ticking.NONE);
    }

    @Test
    void aChangeOfLeaderGoesAtOnce() {
      news.onChange(0);
      current = list(0, false);
      news.onChange(10);

      assertThat(told).containsExactly(list(0, true), list(0, false));
      assertThat(news.nextDeadlineNanos()).isEqualTo(Ticking.NONE);
    }

    @Test
    void aHeldBackChangeIsDroppedWhenNobodyIsLeftToTell() {
      news.onChange(0);
      current = list(3, true);
      news.onChange(10);
      clients = 0;

      news.onTick(INTERVAL);

      assertThat(told).hasSize(1);
      assertThat(news.nextDeadlineNanos())
          .as("no deadline left in the past to spin on")
          .isEqualTo(Ticking.NONE);
    }
  }
}
