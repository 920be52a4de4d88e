package io.github.ringleader.messaging.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one "least loaded with room" rule. */
class PlacementTest {

  private static ServerEvent.ServerInfo server(String id, int port, int clients, int capacity) {
    return new ServerEvent.ServerInfo(NodeId.of(id), "", port, clients, capacity, false);
  }

  private static NodeId id(String id) {
    return NodeId.of(id);
  }

  @Test
  void aServerHasRoomOnlyIfItTakesClientsAndIsBelowCapacity() {
    assertThat(Placement.hasRoom(server("a", 5000, 9, 10))).isTrue();
    assertThat(Placement.hasRoom(server("a", 5000, 10, 10))).as("full").isFalse();
    assertThat(Placement.hasRoom(server("a", 5000, 0, 0))).as("capacity 0").isFalse();
    assertThat(Placement.hasRoom(server("a", 0, 0, 10))).as("no client port").isFalse();
    assertThat(Placement.hasRoom(server("a", 5000, -1, 0)))
        .as("capacity 0, whatever the count")
        .isFalse();
  }

  @Test
  void theLeastLoadedServerWithRoomWinsByFractionOfCapacityNotByCount() {
    List<ServerEvent.ServerInfo> servers = List.of(
        server("server1", 5001, 5, 10), // 50 %
        server("server2", 5002, 30, 100), // 30 %: more clients, less load
        server("server3", 5003, 8, 8)); // full

    assertThat(Placement.leastLoadedWithRoom(servers))
        .map(ServerEvent.ServerInfo::id)
        .contains(id("server2"));
  }

  @Test
  void anIdleServerWithoutClientPortIsNeverChosen() {
    List<ServerEvent.ServerInfo> servers =
        List.of(server("server1", 5001, 5, 10), server("server2", 0, 0, 100));

    assertThat(Placement.leastLoadedWithRoom(servers))
        .map(ServerEvent.ServerInfo::id)
        .contains(id("server1"));
    assertThat(Placement.leastLoadedWithRoom(List.of(server("server2", 0, 0, 100))))
        .isEmpty();
  }

  @Test
  void equalLoadsGoToTheLowestIdWhateverTheOrderGiven() {
    List<ServerEvent.ServerInfo> servers = List.of(
        server("server3", 5003, 1, 3),
        server("server1", 5001, 2, 6),
        server("server2", 5002, 5, 6));

    assertThat(Placement.leastLoadedWithRoom(servers))
        .map(ServerEvent.ServerInfo::id)
        .as("1/3 and 2/6 are the same load")
        .contains(id("server1"));
  }

  @Test
  void loadsAreComparedExactlyWhereDoublesWouldRoundThemEqual() {
    int big = Integer.MAX_VALUE;
    ServerEvent.ServerInfo a = server("a", 5001, big - 2, big - 1);
    ServerEvent.ServerInfo b = server("b", 5002, big - 1, big);
    // (big-2)/(big-1) < (big-1)/big, but both round to the same double.
    assertThat(a.load()).isEqualTo(b.load());
    assertThat(Placement.compareLoad(a, b)).isNegative();
    assertThat(Placement.leastLoadedWithRoom(List.of(b, a))).contains(a);
  }

  @Test
  void theServerAskingCanBeLeftOut() {
    List<ServerEvent.ServerInfo> servers =
        List.of(server("server1", 5001, 0, 10), server("server2", 5002, 3, 10));

    assertThat(Placement.leastLoadedWithRoom(servers, id("server1")))
        .map(ServerEvent.ServerInfo::id)
        .contains(id("server2"));
  }

  @Test
  void aServerWithoutCapacityIsInfinitelyLoaded() {
    assertThat(Placement.load(server("a", 5001, 0, 0))).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(Placement.compareLoad(server("a", 5001, 0, 0), server("b", 5002, 99, 100)))
        .isPositive();
    assertThat(Placement.compareLoad(server("a", 5001, 0, 0), server("b", 5002, 0, 0)))
        .isZero();
  }

  @Test
  void aMoveIsWorthItOnlyIfTheMoverStaysAtLeastAsLoaded() {
    assertThat(Placement.worthMoving(3, 100, server("b", 5002, 1, 100)))
        .as("3 against 1: 2 and 2 after")
        .isTrue();
    assertThat(Placement.worthMoving(3, 100, server("b", 5002, 2, 100)))
        .as("3 against 2: 2 against 3 after, it would move back")
        .isFalse();
    assertThat(Placement.worthMoving(10, 20, server("b", 5002, 20, 100)))
        .as("50 % against 20 %")
        .isTrue();
    assertThat(Placement.worthMoving(10, 100, server("b", 0, 0, 100)))
        .as("no port")
        .isFalse();
  }

  @Test
  void aClientTriesServersWithRoomFirstThenTheFullOnesLeastLoadedFirstNeverThoseWithoutPort() {
    List<ServerEvent.ServerInfo> servers = List.of(
        server("server1", 5001, 10, 10), // full
        server("server2", 5002, 9, 10),
        server("server3", 5003, 1, 10),
        server("server4", 0, 0, 10), // takes no clients
        server("server5", 5005, 0, 10)); // the one just lost

    assertThat(Placement.inPreferenceOrder(servers, id("server5")))
        .extracting(ServerEvent.ServerInfo::id)
        .containsExactly(id("server3"), id("server2"), id("server1"));
  }
}
