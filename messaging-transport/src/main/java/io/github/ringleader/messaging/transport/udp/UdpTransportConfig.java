package io.github.ringleader.messaging.transport.udp;

import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The settings of one {@link UdpMulticastTransport}: immutable, validated when built, every
 * rejection naming the setting and the bad value.
 *
 * <p>The defaults are safe for a first run on one machine: the administratively scoped group
 * {@value #DEFAULT_GROUP} (port {@value #DEFAULT_PORT}) on the loopback interface with TTL 0, so
 * nothing is sent onto a network. Servers on several hosts name an interface; a named interface
 * that is not a loopback one implies TTL 1 (the local subnet) unless a TTL is given (see {@code
 * docs/operations.md}).
 *
 * <pre>{@code
 * UdpTransportConfig config = UdpTransportConfig.builder()
 *     .networkInterface("eth0")   // or an address of it: "192.168.1.20"; implies TTL 1
 *     .ttl(2)                     // across one router that forwards multicast
 *     .build();
 * }</pre>
 *
 * <p>The transport speaks IPv4 only: the group, the bind address and the interface's address are
 * IPv4. Addresses are given as literals; nothing here looks a name up in DNS.
 */
public final class UdpTransportConfig {
  /** The default multicast group: administratively scoped (RFC 2365), never routed off-site. */
  public static final String DEFAULT_GROUP = "239.255.77.77";

  /** The default UDP port of the multicast group. */
  public static final int DEFAULT_PORT = 5007;

  /** The default multicast TTL on a loopback interface: 0, the datagrams never leave this host. */
  public static final int DEFAULT_TTL = 0;

  /**
   * The multicast TTL a named interface that is not a loopback one implies: 1, the datagrams reach
   * the hosts of the local subnet and no further.
   */
  public static final int DEFAULT_NETWORK_TTL = 1;

  /** The default bound of the outbound queue, in frames. */
  public static final int DEFAULT_MAX_OUTBOUND_QUEUE = 16_384;

  /** The default silence after which the transport logs its "no other server heard" hint. */
  public static final Duration DEFAULT_SILENCE_HINT_AFTER = Duration.ofSeconds(10);

  private static final Pattern IPV4_LITERAL =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  private final Inet4Address group;
  private final int port;
  private final NetworkInterface networkInterface;
  private final int ttl;
  private final Inet4Address bindAddress;
  private final int unicastPort;
  private final int receiveBufferBytes;
  private final int maxOutboundQueue;
  private final Duration silenceHintAfter;

  private UdpTransportConfig(
      Inet4Address group,
      int port,
      NetworkInterface networkInterface,
      int ttl,
      Inet4Address bindAddress,
      int unicastPort,
      int receiveBufferBytes,
      int maxOutboundQueue,
      Duration silenceHintAfter) {
    this.group = group;
    this.port = port;
    this.networkInterface = networkInterface;
    this.ttl = ttl;
    this.bindAddress = bindAddress;
    this.unicastPort = unicastPort;
    this.receiveBufferBytes = receiveBufferBytes;
    this.maxOutboundQueue = maxOutboundQueue;
    this.silenceHintAfter = silenceHintAfter;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** All defaults: {@value #DEFAULT_GROUP}:{@value #DEFAULT_PORT} on loopback, TTL 0. */
  public static UdpTransportConfig defaults() {
    return builder().build();
  }

  /** The multicast group every server joins and {@code sendToAll} sends to. */
  public Inet4Address group() {
    return group;
  }

  /** The UDP port of the group. */
  public int port() {
    return port;
  }

  /** The group and its port, as a datagram destination. */
  public InetSocketAddress groupAddress() {
    return new InetSocketAddress(group, port);
  }

  /** The interface the group is joined on and multicast is sent from. */
  public NetworkInterface networkInterface() {
    return networkInterface;
  }

  /** The name of {@link #networkInterface()}, e.g. {@code lo} or {@code eth0}. */
  public String interfaceName() {
    return networkInterface.getName();
  }

  /** The multicast TTL: 0 stays on this host, 1 stays on the local subnet. */
  public int ttl() {
    return ttl;
  }

  /** The address of the unicast socket, which sends every datagram and receives point-to-point. */
  public Inet4Address bindAddress() {
    return bindAddress;
  }

  /** The port of the unicast socket; 0 means the system picks a free one at start. */
  public int unicastPort() {
    return unicastPort;
  }

  /** The {@code SO_RCVBUF} asked for on both sockets, in bytes; 0 leaves the system default. */
  public int receiveBufferBytes() {
    return receiveBufferBytes;
  }

  /** How many datagrams may wait to be sent before further sends are dropped. */
  public int maxOutboundQueue() {
    return maxOutboundQueue;
  }

  /**
   * How long after start, with no other server heard, the transport logs a hint that multicast
   * may be blocked; zero turns the hint off.
   */
  public Duration silenceHintAfter() {
    return silenceHintAfter;
  }

  /** A builder holding these settings, to derive a changed copy. */
  public Builder toBuilder() {
    return new Builder()
        .group(group)
        .port(port)
        .networkInterface(networkInterface.getName())
        .ttl(ttl)
        .bindAddress(bindAddress)
        .unicastPort(unicastPort)
        .receiveBufferBytes(receiveBufferBytes)
        .maxOutboundQueue(maxOutboundQueue)
        .silenceHintAfter(silenceHintAfter);
  }

  @Override
  public String toString() {
    return "UdpTransportConfig{group="
        + group.getHostAddress()
        + ":"
        + port
        + ", interface="
        + interfaceName()
        + ", ttl="
        + ttl
        + ", bindAddress="
        + bindAddress.getHostAddress()
        + ", unicastPort="
        + unicastPort
        + ", receiveBufferBytes="
        + receiveBufferBytes
        + ", maxOutboundQueue="
        + maxOutboundQueue
        + ", silenceHintAfter="
        + io.github.ringleader.messaging.node.NodeConfig.format(silenceHintAfter)
        + "}";
  }

  // ---------------------------------------------------------------- resolution (package-private
  // so the pure parts can be tested without depending on this host's interfaces)

  /**
   * The TTL when none is given: {@value #DEFAULT_TTL} on a loopback interface, {@value
   * #DEFAULT_NETWORK_TTL} on any other (naming one is asking for other hosts to be reached).
   */
  static int defaultTtl(boolean loopback) {
    return loopback ? DEFAULT_TTL : DEFAULT_NETWORK_TTL;
  }

  /**
   * The unicast bind address an interface implies: 127.0.0.1 for a loopback interface, otherwise
   * its first IPv4 address; null if it has none.
   */
  static @Nullable Inet4Address defaultBindAddress(
      boolean loopback, List<? extends InetAddress> interfaceAddresses) {
    if (loopback) {
      return ipv4(127, 0, 0, 1);
    }
    for (InetAddress address : interfaceAddresses) {
      if (address instanceof Inet4Address ipv4) {
        return ipv4;
      }
    }
    return null;
  }

  /** Parses a dotted-quad IPv4 literal without any name lookup; null if it is not one. */
  static @Nullable Inet4Address parseIpv4(String text) {
    var matcher = IPV4_LITERAL.matcher(text);
    if (!matcher.matches()) {
      return null;
    }
    int[] parts = new int[4];
    for (int i = 0; i < 4; i++) {
      parts[i] = Integer.parseInt(matcher.group(i + 1));
      if (parts[i] > 255) {
        return null;
      }
    }
    return ipv4(parts[0], parts[1], parts[2], parts[3]);
  }

  private static Inet4Address ipv4(int a, int b, int c, int d) {
    try {
      return (Inet4Address)
          InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    } catch (UnknownHostException impossible) {
      throw new AssertionError("four bytes are always a valid IPv4 address", impossible);
    }
  }

  private static NetworkInterface resolveInterface(String nameOrAddress) {
    try {
      NetworkInterface found;
      Inet4Address address = parseIpv4(nameOrAddress);
      if (address != null) {
        found = NetworkInterface.getByInetAddress(address);
      } else if (nameOrAddress.indexOf(':') >= 0) {
        // An IPv6 literal: getByName does not consult DNS for a literal. The interface may still
        // carry IPv4, which is what the transport needs.
        found = NetworkInterface.getByInetAddress(InetAddress.getByName(nameOrAddress));
      } else {
        found = NetworkInterface.getByName(nameOrAddress);
      }
      if (found == null) {
        throw new IllegalArgumentException("networkInterface \""
            + nameOrAddress
            + "\" is neither the name nor an address of an interface of this host;"
            + " interfaces: "
            + interfaceNames());
      }
      return found;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          "networkInterface \"" + nameOrAddress + "\" is not a valid address: " + e.getMessage(),
          e);
    } catch (SocketException e) {
      throw new UncheckedIOException("cannot list this host's network interfaces", e);
    }
  }

  private static NetworkInterface loopbackInterface() {
    try {
      NetworkInterface byAddress = NetworkInterface.getByInetAddress(ipv4(127, 0, 0, 1));
      if (byAddress != null) {
        return byAddress;
      }
      for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (nif.isLoopback()) {
          return nif;
        }
      }
    } catch (SocketException e) {
      throw new UncheckedIOException("cannot list this host's network interfaces", e);
    }
    throw new IllegalArgumentException(
        "networkInterface: this host has no loopback interface to default to; name one of: "
            + interfaceNames());
  }

  /** This host's interface names, sorted, for error messages. */
  static String interfaceNames() {
    try {
      return Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
          .map(NetworkInterface::getName)
          .sorted()
          .collect(Collectors.joining(", "));
    } catch (SocketException e) {
      return "(cannot list them: " + e.getMessage() + ")";
    }
  }

  private static boolean isLoopback(NetworkInterface nif) {
    try {
      return nif.isLoopback();
    } catch (SocketException e) {
      throw new UncheckedIOException("cannot query network interface " + nif.getName(), e);
    }
  }

  /**
   * Builds a {@link UdpTransportConfig}. Every setting has a default; {@link #build()} checks them
   * all and names the first that is wrong.
   */
  public static final class Builder {
    private @Nullable InetAddress group;
    private @Nullable String groupText;
    private int port = DEFAULT_PORT;
    private @Nullable String networkInterface;
    private @Nullable Integer ttl;
    private @Nullable InetAddress bindAddress;
    private @Nullable String bindAddressText;
    private int unicastPort;
    private int receiveBufferBytes;
    private int maxOutboundQueue = DEFAULT_MAX_OUTBOUND_QUEUE;
    private Duration silenceHintAfter = DEFAULT_SILENCE_HINT_AFTER;

    private Builder() {}

    /**
     * The multicast group, as an IPv4 literal (default {@value #DEFAULT_GROUP}). Prefer a group in
     * 239.0.0.0/8, the administratively scoped range.
     */
    public Builder group(String ipv4Literal) {
      this.groupText = Objects.requireNonNull(ipv4Literal, "group");
      this.group = null;
      return this;
    }

    /** The multicast group (default {@value #DEFAULT_GROUP}). */
    public Builder group(InetAddress group) {
      this.group = Objects.requireNonNull(group, "group");
      this.groupText = null;
      return this;
    }

    /** The group's UDP port, 1..65535 (default {@value #DEFAULT_PORT}). */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /**
     * The interface to join the group on and send multicast from: a name ({@code eth0}) or an IPv4
     * or IPv6 address literal of the interface. Default: the loopback interface ({@code lo} on
     * Linux, {@code lo0} on macOS).
     */
    public Builder networkInterface(String nameOrAddress) {
      this.networkInterface = Objects.requireNonNull(nameOrAddress, "networkInterface");
      return this;
    }

    /**
     * The multicast TTL, 0..255. Default: 0 on a loopback interface (the datagrams stay on this
     * host), 1 on any other (they reach the local subnet).
     */
    public Builder ttl(int ttl) {
      this.ttl = ttl;
      return this;
    }

    /**
     * The address of the unicast socket, as an IPv4 literal. Default: 127.0.0.1 on a loopback
     * interface, otherwise the interface's first IPv4 address. It must be a specific address of
     * this host, not the wildcard 0.0.0.0: other servers learn where to reach this one from the
     * source address of its datagrams.
     */
    public Builder bindAddress(String ipv4Literal) {
      this.bindAddressText = Objects.requireNonNull(ipv4Literal, "bindAddress");
      this.bindAddress = null;
      return this;
    }

    /** The address of the unicast socket; see {@link #bindAddress(String)}. */
    public Builder bindAddress(InetAddress bindAddress) {
      this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
      this.bindAddressText = null;
      return this;
    }

    /**
     * The port of the unicast socket, 0..65535 (default 0: a free port the system picks, which
     * changes on every start). Fix it when a firewall must let point-to-point traffic in.
     */
    public Builder unicastPort(int unicastPort) {
      this.unicastPort = unicastPort;
      return this;
    }

    /**
     * The receive buffer ({@code SO_RCVBUF}) to ask for on both sockets, in bytes (default 0:
     * the system default). The system may grant less (Linux caps it at {@code net.core.rmem_max}).
     */
    public Builder receiveBufferBytes(int receiveBufferBytes) {
      this.receiveBufferBytes = receiveBufferBytes;
      return this;
    }

    /**
     * How many datagrams may wait for the I/O thread; a send beyond that is dropped and counted
     * (default {@value #DEFAULT_MAX_OUTBOUND_QUEUE}).
     */
    public Builder maxOutboundQueue(int maxOutboundQueue) {
      this.maxOutboundQueue = maxOutboundQueue;
      return this;
    }

    /**
     * How long after start, with no other server heard, to log one hint that multicast may be
     * blocked (default 10 s; zero: never).
     */
    public Builder silenceHintAfter(Duration silenceHintAfter) {
      this.silenceHintAfter = Objects.requireNonNull(silenceHintAfter, "silenceHintAfter");
      return this;
    }

    /**
     * Validates the settings and resolves the interface.
     *
     * @throws IllegalArgumentException naming the first invalid setting and its value
     */
    public UdpTransportConfig build() {
      Inet4Address checkedGroup = checkGroup();
      if (port < 1 || port > 0xFFFF) {
        throw new IllegalArgumentException("port must be in 1..65535, was " + port);
      }
      Integer givenTtl = ttl;
      if (givenTtl != null && (givenTtl < 0 || givenTtl > 255)) {
        throw new IllegalArgumentException("ttl must be in 0..255, was " + givenTtl);
      }
      if (unicastPort < 0 || unicastPort > 0xFFFF) {
        throw new IllegalArgumentException(
            "unicastPort must be in 0..65535 (0: any free port), was " + unicastPort);
      }
      if (receiveBufferBytes < 0) {
        throw new IllegalArgumentException(
            "receiveBufferBytes must be >= 0 (0: system default), was " + receiveBufferBytes);
      }
      if (maxOutboundQueue < 1) {
        throw new IllegalArgumentException(
            "maxOutboundQueue must be >= 1, was " + maxOutboundQueue);
      }
      if (silenceHintAfter.isNegative()) {
        throw new IllegalArgumentException("silenceHintAfter must be >= 0 (0: no hint), was "
            + io.github.ringleader.messaging.node.NodeConfig.format(silenceHintAfter));
      }
      String nifName = networkInterface;
      NetworkInterface nif = nifName == null ? loopbackInterface() : resolveInterface(nifName);
      Inet4Address bind = checkBindAddress(nif);
      return new UdpTransportConfig(
          checkedGroup,
          port,
          nif,
          givenTtl != null ? givenTtl : defaultTtl(isLoopback(nif)),
          bind,
          unicastPort,
          receiveBufferBytes,
          maxOutboundQueue,
          silenceHintAfter);
    }

    private Inet4Address checkGroup() {
      InetAddress address = group;
      String text = groupText;
      if (text != null) {
        address = parseIpv4(text);
        if (address == null) {
          throw new IllegalArgumentException("group must be an IPv4 address literal such as "
              + DEFAULT_GROUP
              + ", was \""
              + text
              + "\"");
        }
      }
      if (address == null) {
        address = Objects.requireNonNull(parseIpv4(DEFAULT_GROUP));
      }
      if (!address.isMulticastAddress()) {
        throw new IllegalArgumentException(
            "group must be a multicast address, was " + address.getHostAddress());
      }
      if (!(address instanceof Inet4Address)) {
        throw new IllegalArgumentException(
            "group must be an IPv4 multicast address (the transport speaks IPv4), was "
                + address.getHostAddress());
      }
      return (Inet4Address) address;
    }

    private Inet4Address checkBindAddress(NetworkInterface nif) {
      InetAddress address = bindAddress;
      String text = bindAddressText;
      if (text != null) {
        address = parseIpv4(text);
        if (address == null) {
          throw new IllegalArgumentException(
              "bindAddress must be an IPv4 address literal such as 127.0.0.1, was \""
                  + text
                  + "\"");
        }
      }
      if (address == null) {
        Inet4Address implied =
            defaultBindAddress(isLoopback(nif), Collections.list(nif.getInetAddresses()));
        if (implied == null) {
          throw new IllegalArgumentException("networkInterface "
              + nif.getName()
              + " has no IPv4 address (the transport speaks IPv4); name another interface or"
              + " set bindAddress");
        }
        return implied;
      }
      if (!(address instanceof Inet4Address)) {
        throw new IllegalArgumentException(
            "bindAddress must be an IPv4 address, was " + address.getHostAddress());
      }
      if (address.isAnyLocalAddress()) {
        throw new IllegalArgumentException(
            "bindAddress must be a specific address of this host, not the wildcard "
                + address.getHostAddress()
                + ": other servers learn where to reach this one from the source address of its"
                + " datagrams");
      }
      if (address.isMulticastAddress()) {
        throw new IllegalArgumentException(
            "bindAddress must be a unicast address of this host, was " + address.getHostAddress());
      }
      if (!address.isLoopbackAddress() && !isLocal(address)) {
        throw new IllegalArgumentException("bindAddress "
            + address.getHostAddress()
            + " is not an address of this host; interfaces: "
            + interfaceNames());
      }
      return (Inet4Address) address;
    }

    private static boolean isLocal(InetAddress address) {
      try {
        return NetworkInterface.getByInetAddress(address) != null;
      } catch (SocketException e) {
        throw new UncheckedIOException("cannot list this host's network interfaces", e);
      }
    }
  }
}
