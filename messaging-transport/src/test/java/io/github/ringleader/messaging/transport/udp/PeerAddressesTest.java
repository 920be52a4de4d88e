package io.github.ringleader.messaging.transport.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.node.NodeId;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class PeerAddressesTest {
  private static final NodeId SERVER1 = NodeId.of("server1");
  private static final NodeId SERVER2 = NodeId.of("server2");
  private static final NodeId SERVER3 = NodeId.of("server3");

  private static InetSocketAddress at(int port) {
    return new InetSocketAddress(UdpTransportConfig.parseIpv4("127.0.0.1"), port);
  }

  @Test
  void theLatestSourceOfAMemberWins() {
    PeerAddresses peers = new PeerAddresses(4);
    peers.heard(SERVER1, at(1001));
    peers.heard(SERVER1, at(2001)); // restarted on another port

    assertThat(peers.addressOf(SERVER1)).isEqualTo(at(2001));
    assertThat(peers.size()).isEqualTo(1);
  }

  @Test
  void aMemberNeverHeardFromHasNoAddress() {
    PeerAddresses peers = new PeerAddresses(4);
    peers.heard(SERVER1, at(1001));

    assertThat(peers.addressOf(SERVER2)).isNull();
  }

  @Test
  void beyondCapacityTheMemberHeardLongestAgoIsForgotten() {
    PeerAddresses peers = new PeerAddresses(2);
    peers.heard(SERVER1, at(1001));
    peers.heard(SERVER2, at(1002));
    peers.heard(SERVER1, at(1001)); // server1 heard again: server2 is now the oldest

    peers.heard(SERVER3, at(1003));

    assertThat(peers.size()).isEqualTo(2);
    assertThat(peers.addressOf(SERVER2)).isNull();
    assertThat(peers.addressOf(SERVER1)).isEqualTo(at(1001));
    assertThat(peers.addressOf(SERVER3)).isEqualTo(at(1003));
  }
}
