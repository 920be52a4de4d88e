package io.github.ringleader.messaging.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Where a client that may join any server goes: {@link ServerEvent.Servers#lessLoadedThanSelf}. */
class ServerChoiceTest {

  private static ServerEvent.ServerInfo s(String id, int clients, int capacity) {
    return new ServerEvent.ServerInfo(NodeId.of(id), "", 5000, clients, capacity, false);
  }

  private static Optional<String> choice(String self, ServerEvent.ServerInfo... servers) {
    return new ServerEvent.Servers(NodeId.of(self), List.of(servers))
        .lessLoadedThanSelf()
        .map(server -> server.id().value());
  }

  @Test
  void tenClientsOnServer1SendANewcomerToTheLowestIdOfTheEmptyServers() {
    assertThat(choice("server1", s("server1", 10, 100), s("server2", 0, 100), s("server3", 0, 100)))
        .contains("server2");
  }

  @Test
  void aClientStaysWhereTheLoadIsAlreadyLowestEvenAmongEquals() {
    assertThat(choice("server3", s("server1", 0, 100), s("server2", 0, 100), s("server3", 0, 100)))
        .isEmpty();
    assertThat(choice("server2", s("server1", 5, 100), s("server2", 1, 100))).isEmpty();
  }

  @Test
  void loadIsClientsOverCapacityNotTheCountOfClients() {
    // 10 of 1000 is a lighter load than 2 of 10.
    assertThat(choice("small", s("big", 10, 1000), s("small", 2, 10))).contains("big");
  }

  @Test
  void aFullServerIsNeverChosenAndAFullSelfMovesToAnyServerWithRoom() {
    assertThat(choice("server1", s("server1", 3, 3), s("server2", 99, 100), s("server3", 5, 5)))
        .contains("server2");
    assertThat(choice("server1", s("server1", 3, 3), s("server2", 5, 5))).isEmpty();
  }

  @Test
  void aServerWithoutAClientPortIsNeverChosen() {
    ServerEvent.ServerInfo noPort =
        new ServerEvent.ServerInfo(NodeId.of("a"), "", 0, 0, 100, false);
    assertThat(choice("b", noPort, s("b", 50, 100))).isEmpty();
  }

  @Test
  void aSelfMissingFromTheListMovesToTheBest() {
    assertThat(choice("gone", s("server1", 4, 10), s("server2", 3, 10))).contains("server2");
  }
}
