package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.protocol.ClusterEnvelope;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The cluster options shared by the commands: {@code --heartbeat}, {@code --missed},
 * {@code --group}, {@code --mcast-port}, {@code --interface}, {@code --ttl}, {@code --capacity},
 * {@code --cluster}. Each bad value is refused with a message that names the option.
 */
final class ClusterOptions {
  static final String HELP =
      "  --heartbeat <duration>     heartbeat interval, e.g. 200ms or 2s (default 2s)\n"
          + "  --missed <n>               missed heartbeats before a server is failed (default 3)\n"
          + "  --group <address>          multicast group (default "
          + UdpTransportConfig.DEFAULT_GROUP
          + ")\n"
          + "  --mcast-port <port>        multicast port (default "
          + UdpTransportConfig.DEFAULT_PORT
          + ")\n"
          + "  --interface <name|addr>    network interface for multicast (default: loopback, lo)\n"
          + "  --ttl <0..255>             multicast TTL (default: 0 on loopback, which stays on this\n"
          + "                             host; 1 on a named network interface: the local subnet)\n"
          + "  --capacity <n>             most clients this server accepts (default 100)\n"
          + "  --cluster <name>           cluster name; servers only talk within one (default ringleader)\n"
          + "  --grace <duration>         how long a client that lost its connection may resume its\n"
          + "                             session elsewhere, its name held (default 30s; 0s: no resume)\n"
          + "  --no-rebalance             never ask clients to move to a less-loaded server\n"
          + "  --cluster-key <file>       encrypt and authenticate cluster frames with the key(s) in\n"
          + "                             <file> (made by `keygen`; a second line: a key also\n"
          + "                             accepted, for rotation). Or set RINGLEADER_CLUSTER_KEY.\n"
          + "                             See docs/security.md\n"
          + "  --insecure                 run on a network interface without a cluster key\n";

  /** The environment variable that may hold the cluster key (the text of a key file). */
  static final String KEY_VARIABLE = "RINGLEADER_CLUSTER_KEY";

  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger("ringleader.server");

  Duration heartbeat = Duration.ofSeconds(2);
  int missed = 3;

  @Nullable
  String group;

  @Nullable
  Integer mcastPort;

  @Nullable
  String networkInterface;

  @Nullable
  Integer ttl;

  int capacity = 100;
  String cluster = "ringleader";
  Duration grace = MessagingNode.DEFAULT_SESSION_GRACE;
  boolean rebalance = true;

  @Nullable
  String clusterKeyFile;

  boolean insecure;
  /** Where {@link #KEY_VARIABLE} is looked up; tests replace it. */
  java.util.Map<String, String> environment = System.getenv();

  /**
   * Takes the options out of {@code args} and returns the positional arguments left.
   *
   * @throws UsageException for an unknown option, a missing or bad value
   */
  List<String> parse(List<String> args) throws UsageException {
    List<String> positional = new ArrayList<>();
    Iterator<String> it = args.iterator();
    while (it.hasNext()) {
      String arg = it.next();
      if (!arg.startsWith("--")) {
        positional.add(arg);
        continue;
      }
      switch (arg) {
        case "--heartbeat":
          heartbeat = Durations.parse(arg, value(arg, it));
          break;
        case "--missed":
          missed = integer(arg, value(arg, it), 1, 1000);
          break;
        case "--group":
          group = value(arg, it);
          break;
        case "--mcast-port":
          mcastPort = integer(arg, value(arg, it), 1, 65535);
          break;
        case "--interface":
          networkInterface = value(arg, it);
          break;
        case "--ttl":
          ttl = integer(arg, value(arg, it), 0, 255);
          break;
        case "--capacity":
          capacity = integer(arg, value(arg, it), 0, 1_000_000);
          break;
        case "--cluster-key":
          clusterKeyFile = value(arg, it);
          break;
        case "--insecure":
          insecure = true;
          break;
        case "--no-rebalance":
          rebalance = false;
          break;
        case "--grace":
          grace = Durations.parseAllowingZero(arg, value(arg, it));
          break;
        case "--cluster":
          cluster = value(arg, it);
          try {
            ClusterEnvelope.checkClusterName(cluster);
          } catch (IllegalArgumentException e) {
            throw new UsageException("--cluster: " + e.getMessage());
          }
          break;
        default:
          throw new UsageException("unknown option " + arg);
      }
    }
    return positional;
  }

  /**
   * A server's cluster side as these options describe it: the UDP transport's settings, and the
   * cluster key its node seals and opens frames with (the node does that, whatever the transport).
   */
  record ClusterSetup(
      UdpTransportConfig transport, @Nullable ClusterKey key) {
    /** Gives {@code node} the key (or none): the node seals and opens every cluster frame. */
    MessagingNode.Builder applyTo(MessagingNode.Builder node) {
      return node.clusterKey(key);
    }
  }

  /**
   * The cluster settings these options describe.
   *
   * @throws UsageException for a bad value, an unreadable or bad key, or a network interface
   *     without a key and without {@code --insecure}
   */
  ClusterSetup clusterSetup() throws UsageException {
    UdpTransportConfig.Builder builder = UdpTransportConfig.builder();
    try {
      String g = group;
      if (g != null) {
        builder.group(g);
      }
      Integer port = mcastPort;
      if (port != null) {
        builder.port(port);
      }
      String nif = networkInterface;
      if (nif != null) {
        builder.networkInterface(nif);
      }
      Integer t = ttl;
      if (t != null) {
        builder.ttl(t);
      }
      ClusterKey key = clusterKey();
      UdpTransportConfig config = builder.build();
      boolean loopback = isLoopback(config);
      String refusal = refusal(loopback, key != null, insecure);
      if (refusal != null) {
        throw new UsageException(refusal);
      }
      if (!loopback && key == null) {
        log.warn(
            "--insecure: cluster traffic on {} is NOT encrypted or authenticated; anyone on that"
                + " network can read, forge or replay cluster frames (see docs/security.md)",
            config.interfaceName());
      }
      return new ClusterSetup(config, key);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  /**
   * Whether a server may start: null if so, else what to do. A cluster whose traffic leaves this
   * machine (an interface other than loopback) needs a key, unless {@code --insecure} is given.
   */
  static @Nullable String refusal(boolean loopbackInterface, boolean hasKey, boolean insecure) {
    if (loopbackInterface || hasKey || insecure) {
      return null;
    }
    return "cluster traffic on a network interface must be authenticated: create a key once with\n"
        + "  java -jar messaging-examples.jar keygen > cluster.key\n"
        + "copy it to every server (readable only by the server's user) and start each with\n"
        + "  --cluster-key cluster.key   (or RINGLEADER_CLUSTER_KEY=\"$(cat cluster.key)\")\n"
        + "or, on a network you trust entirely, pass --insecure";
  }

  /** The key from --cluster-key, else from the environment, else null. */
  @Nullable
  ClusterKey clusterKey() throws UsageException {
    String file = clusterKeyFile;
    if (file != null) {
      String text;
      try {
        text = java.nio.file.Files.readString(java.nio.file.Path.of(file));
      } catch (java.io.IOException | RuntimeException e) {
        throw new UsageException("--cluster-key: cannot read key file " + file + " (" + e
            + "); create one with: java -jar messaging-examples.jar keygen > " + file);
      }
      return parseKey(text, "--cluster-key: key file " + file);
    }
    String variable = environment.get(KEY_VARIABLE);
    if (variable != null && !variable.isBlank()) {
      return parseKey(variable, "environment variable " + KEY_VARIABLE);
    }
    return null;
  }

  private static ClusterKey parseKey(String text, String source) throws UsageException {
    try {
      return ClusterKey.parse(text, source);
    } catch (IllegalArgumentException e) {
      throw new UsageException(String.valueOf(e.getMessage()));
    }
  }

  private static boolean isLoopback(UdpTransportConfig config) {
    try {
      return config.networkInterface().isLoopback();
    } catch (java.net.SocketException e) {
      return false; // not known to stay on this machine: treated as a network interface
    }
  }

  /** Applies the node settings of these options to {@code node}. */
  MessagingNode.Builder applyTo(MessagingNode.Builder node) {
    return node.clusterName(cluster)
        .heartbeatInterval(heartbeat)
        .missedHeartbeats(missed)
        .capacity(capacity)
        .sessionGrace(grace)
        .rebalance(rebalance);
  }

  /**
   * A free UDP port for an in-process cluster's multicast group (demo, bench): the OS picks one,
   * the group uses it a moment later — a tiny, harmless race.
   */
  static int freeUdpPort() throws java.io.IOException {
    try (java.nio.channels.DatagramChannel probe = java.nio.channels.DatagramChannel.open()) {
      probe.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
      return ((java.net.InetSocketAddress) probe.getLocalAddress()).getPort();
    }
  }

  static String value(String option, Iterator<String> it) throws UsageException {
    if (!it.hasNext()) {
      throw new UsageException(option + " needs a value");
    }
    return it.next();
  }

  static int integer(String option, String text, int min, int max) throws UsageException {
    int value;
    try {
      value = Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new UsageException(option + " takes a whole number, was \"" + text + "\"");
    }
    if (value < min || value > max) {
      throw new UsageException(option + " must be in " + min + ".." + max + ", was " + value);
    }
    return value;
  }
}
