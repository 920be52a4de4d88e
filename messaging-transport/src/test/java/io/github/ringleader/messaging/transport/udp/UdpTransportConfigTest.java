package io.github.ringleader.messaging.transport.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Defaults, resolution and every validation message of {@link UdpTransportConfig}. */
class UdpTransportConfigTest {

  /** An IPv6 address from its eight 16-bit groups, with no name lookup. */
  private static InetAddress ipv6(int... groups) throws UnknownHostException {
    byte[] bytes = new byte[16];
    for (int i = 0; i < 8; i++) {
      bytes[2 * i] = (byte) (groups[i] >> 8);
      bytes[2 * i + 1] = (byte) groups[i];
    }
    return InetAddress.getByAddress(bytes);
  }

  @Test
  void defaultsAreTheScopedGroupOnLoopbackWithTtlZero() {
    UdpTransportConfig config = UdpTransportConfig.defaults();

    assertThat(config.group().getHostAddress()).isEqualTo("239.255.77.77");
    assertThat(config.port()).isEqualTo(5007);
    assertThat(config.interfaceName()).isEqualTo("lo");
    assertThat(config.ttl()).isZero();
    assertThat(config.bindAddress().getHostAddress()).isEqualTo("127.0.0.1");
    assertThat(config.unicastPort()).isZero();
    assertThat(config.receiveBufferBytes()).isZero();
    assertThat(config.maxOutboundQueue()).isEqualTo(16_384);
    assertThat(config.silenceHintAfter()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aNamedNetworkInterfaceImpliesTtlOneAndLoopbackTtlZero() {
    assertThat(UdpTransportConfig.defaultTtl(false)).isEqualTo(1);
    assertThat(UdpTransportConfig.defaultTtl(true)).isZero();
    assertThat(UdpTransportConfig.builder().networkInterface("lo").build().ttl())
        .as("loopback named explicitly")
        .isZero();
  }

  @Test
  void aNonLoopbackInterfaceOfThisHostGetsTtlOneUnlessATtlIsGiven() throws Exception {
    // Building a config sends nothing; it only resolves the interface.
    String name = "";
    for (java.net.NetworkInterface candidate :
        java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
      if (name.isEmpty()
          && candidate.isUp()
          && !candidate.isLoopback()
          && candidate.inetAddresses().anyMatch(a -> a instanceof java.net.Inet4Address)) {
        name = candidate.getName();
      }
    }
    org.junit.jupiter.api.Assumptions.assumeFalse(
        name.isEmpty(), "this host has no non-loopback IPv4 interface");

    assertThat(UdpTransportConfig.builder().networkInterface(name).build().ttl())
        .isEqualTo(1);
    assertThat(
            UdpTransportConfig.builder().networkInterface(name).ttl(0).build().ttl())
        .isZero();
    assertThat(
            UdpTransportConfig.builder().networkInterface(name).ttl(4).build().ttl())
        .isEqualTo(4);
  }

  @Test
  void anInterfaceCanBeNamedByOneOfItsAddresses() {
    UdpTransportConfig config =
        UdpTransportConfig.builder().networkInterface("127.0.0.1").build();

    assertThat(config.interfaceName()).isEqualTo("lo");
    assertThat(config.bindAddress().getHostAddress()).isEqualTo("127.0.0.1");
  }

  @Test
  void toBuilderRoundTrips() {
    UdpTransportConfig config = UdpTransportConfig.builder()
        .group("239.1.2.3")
        .port(6000)
        .ttl(1)
        .unicastPort(6001)
        .receiveBufferBytes(1 << 20)
        .maxOutboundQueue(8)
        .silenceHintAfter(Duration.ZERO)
        .build();

    assertThat(config.toBuilder().build().toString()).isEqualTo(config.toString());
    assertThat(config.toString())
        .isEqualTo("UdpTransportConfig{group=239.1.2.3:6000, interface=lo, ttl=1,"
            + " bindAddress=127.0.0.1, unicastPort=6001, receiveBufferBytes=1048576,"
            + " maxOutboundQueue=8, silenceHintAfter=0s}");
  }

  @Test
  void aGroupThatIsNotMulticastIsRefused() {
    assertThatThrownBy(() -> UdpTransportConfig.builder().group("10.0.0.1").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("group must be a multicast address, was 10.0.0.1");
  }

  @Test
  void aGroupThatIsNotAnIpv4LiteralIsRefusedWithoutALookup() throws Exception {
    assertThatThrownBy(
            () -> UdpTransportConfig.builder().group("ringleader.example").build())
        .hasMessage("group must be an IPv4 address literal such as 239.255.77.77, was"
            + " \"ringleader.example\"");
    assertThatThrownBy(
            () -> UdpTransportConfig.builder().group("239.255.77.256").build())
        .hasMessageStartingWith("group must be an IPv4 address literal");
    InetAddress ipv6Group = ipv6(0xff02, 0, 0, 0, 0, 0, 0, 1);
    assertThatThrownBy(() -> UdpTransportConfig.builder().group(ipv6Group).build())
        .hasMessage(
            "group must be an IPv4 multicast address (the transport speaks IPv4), was ff02:0:0:0:0:0:0:1");
  }

  @Test
  void portsAndTtlMustBeInRange() {
    assertThatThrownBy(() -> UdpTransportConfig.builder().port(0).build())
        .hasMessage("port must be in 1..65535, was 0");
    assertThatThrownBy(() -> UdpTransportConfig.builder().port(65536).build())
        .hasMessage("port must be in 1..65535, was 65536");
    assertThatThrownBy(() -> UdpTransportConfig.builder().ttl(-1).build())
        .hasMessage("ttl must be in 0..255, was -1");
    assertThatThrownBy(() -> UdpTransportConfig.builder().ttl(256).build())
        .hasMessage("ttl must be in 0..255, was 256");
    assertThatThrownBy(() -> UdpTransportConfig.builder().unicastPort(-1).build())
        .hasMessage("unicastPort must be in 0..65535 (0: any free port), was -1");
    assertThat(UdpTransportConfig.builder().ttl(255).port(65535).build().ttl()).isEqualTo(255);
  }

  @Test
  void buffersQueueAndHintMustBeSensible() {
    assertThatThrownBy(() -> UdpTransportConfig.builder().receiveBufferBytes(-1).build())
        .hasMessage("receiveBufferBytes must be >= 0 (0: system default), was -1");
    assertThatThrownBy(() -> UdpTransportConfig.builder().maxOutboundQueue(0).build())
        .hasMessage("maxOutboundQueue must be >= 1, was 0");
    assertThatThrownBy(() -> UdpTransportConfig.builder()
            .silenceHintAfter(Duration.ofSeconds(-1))
            .build())
        .hasMessage("silenceHintAfter must be >= 0 (0: no hint), was -1s");
  }

  @Test
  void anUnknownInterfaceIsRefusedListingTheInterfacesThereAre() {
    assertThatThrownBy(
            () -> UdpTransportConfig.builder().networkInterface("nosuch0").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "networkInterface \"nosuch0\" is neither the name nor an address of an interface of"
                + " this host; interfaces: ")
        .hasMessageContaining("lo");
    // TEST-NET-3, reserved for documentation: no host has it.
    assertThatThrownBy(
            () -> UdpTransportConfig.builder().networkInterface("203.0.113.9").build())
        .hasMessageStartingWith("networkInterface \"203.0.113.9\" is neither the name nor");
  }

  @Test
  void theBindAddressMustBeASpecificIpv4AddressOfThisHost() throws Exception {
    assertThatThrownBy(() -> UdpTransportConfig.builder().bindAddress("0.0.0.0").build())
        .hasMessageStartingWith(
            "bindAddress must be a specific address of this host, not the wildcard 0.0.0.0:");
    assertThatThrownBy(
            () -> UdpTransportConfig.builder().bindAddress("203.0.113.9").build())
        .hasMessageStartingWith("bindAddress 203.0.113.9 is not an address of this host;");
    assertThatThrownBy(
            () -> UdpTransportConfig.builder().bindAddress("239.1.1.1").build())
        .hasMessage("bindAddress must be a unicast address of this host, was 239.1.1.1");
    assertThatThrownBy(
            () -> UdpTransportConfig.builder().bindAddress("localhost").build())
        .hasMessage(
            "bindAddress must be an IPv4 address literal such as 127.0.0.1, was \"localhost\"");
    InetAddress ipv6Loopback = ipv6(0, 0, 0, 0, 0, 0, 0, 1);
    assertThatThrownBy(
            () -> UdpTransportConfig.builder().bindAddress(ipv6Loopback).build())
        .hasMessage("bindAddress must be an IPv4 address, was 0:0:0:0:0:0:0:1");
    assertThat(UdpTransportConfig.builder()
            .bindAddress("127.0.0.2")
            .build()
            .bindAddress()
            .getHostAddress())
        .isEqualTo("127.0.0.2");
  }

  @Test
  void theDefaultBindAddressIsLoopbackOrTheInterfacesFirstIpv4Address() throws Exception {
    InetAddress v6 = ipv6(0xfd00, 0, 0, 0, 0, 0, 0, 2);
    InetAddress first = UdpTransportConfig.parseIpv4("192.0.2.2");
    InetAddress second = UdpTransportConfig.parseIpv4("198.51.100.7");

    assertThat(UdpTransportConfig.defaultBindAddress(true, List.of(v6)))
        .isEqualTo(UdpTransportConfig.parseIpv4("127.0.0.1"));
    assertThat(UdpTransportConfig.defaultBindAddress(false, List.of(v6, first, second)))
        .isEqualTo(first);
    assertThat(UdpTransportConfig.defaultBindAddress(false, List.of(v6))).isNull();
  }

  @Test
  void ipv4LiteralsParseWithoutNameLookup() {
    assertThat(UdpTransportConfig.parseIpv4("239.255.77.77")).isNotNull();
    assertThat(UdpTransportConfig.parseIpv4("1.2.3")).isNull();
    assertThat(UdpTransportConfig.parseIpv4("1.2.3.4.5")).isNull();
    assertThat(UdpTransportConfig.parseIpv4("300.1.1.1")).isNull();
    assertThat(UdpTransportConfig.parseIpv4("example.org")).isNull();
  }
}
