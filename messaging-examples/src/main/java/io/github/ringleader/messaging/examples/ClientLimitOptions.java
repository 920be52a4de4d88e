package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;

/**
 * The example server's options for what one client may cost it: the settings of {@link
 * TcpServerConfig}, each with its default from there.
 */
final class ClientLimitOptions {
  static final String HELP =
      "  --max-in-flight <n>        a client's unanswered sends before the server stops reading\n"
          + "                             from it (default "
          + TcpServerConfig.DEFAULT_MAX_IN_FLIGHT_SENDS
          + ", 1.."
          + TcpServerConfig.MAX_IN_FLIGHT_SENDS_LIMIT
          + ")\n"
          + "  --max-in-flight-all-clients <n>\n"
          + "                             all clients' unanswered sends together, beyond which\n"
          + "                             they take turns, one send each (default "
          + TcpServerConfig.DEFAULT_MAX_IN_FLIGHT_SENDS_ALL_CLIENTS
          + ";\n"
          + "                             0 = first come first served)\n"
          + "  --max-request-rate <n>     a client's requests per second on average (default "
          + TcpServerConfig.DEFAULT_MAX_REQUESTS_PER_SECOND
          + ";\n"
          + "                             0 = no limit)\n"
          + "  --request-burst <n>        requests a client may make at once before the rate applies\n"
          + "                             (default "
          + TcpServerConfig.DEFAULT_REQUEST_BURST
          + ")\n"
          + "  --max-queued-frames <n>    events queued for a client before it is disconnected as a\n"
          + "                             slow reader (default "
          + TcpServerConfig.DEFAULT_MAX_QUEUED_FRAMES
          + ")\n"
          + "  --max-queued-bytes <n>     the same bound in bytes (default "
          + TcpServerConfig.DEFAULT_MAX_QUEUED_BYTES
          + ")\n"
          + "  --max-connections <n>      open client connections at most (default "
          + TcpServerConfig.DEFAULT_MAX_CONNECTIONS
          + ")\n"
          + "  --max-connections-per-address <n>\n"
          + "                             open client connections from one IP address at most\n"
          + "                             (default "
          + TcpServerConfig.DEFAULT_MAX_CONNECTIONS_PER_ADDRESS
          + "; clients behind one NAT share it)\n"
          + "  --max-joins-per-second-per-address <n>\n"
          + "                             new connections one IP address may open per second on\n"
          + "                             average (default "
          + TcpServerConfig.DEFAULT_MAX_JOINS_PER_SECOND_PER_ADDRESS
          + "; 0 = no limit)\n"
          + "  --join-burst <n>           new connections one IP address may open back to back\n"
          + "                             before that rate applies (default "
          + TcpServerConfig.DEFAULT_JOIN_BURST_PER_ADDRESS
          + ")\n"
          + "  --idle-timeout <duration>  close a client that sends nothing this long (default "
          + TcpServerConfig.DEFAULT_IDLE_TIMEOUT.toSeconds()
          + "s;\n"
          + "                             0s = never)\n"
          + "  --hello-timeout <duration> close a connection that has not joined this long after\n"
          + "                             it connected, whatever it sends (default "
          + TcpServerConfig.DEFAULT_HELLO_TIMEOUT.toSeconds()
          + "s;\n"
          + "                             0s = never)\n";

  private final TcpServerConfig.Builder builder = TcpServerConfig.builder();

  /**
   * Takes this class's options out of {@code args} (in place) and keeps their values.
   *
   * @throws UsageException for a missing or bad value
   */
  void takeFrom(List<String> args) throws UsageException {
    for (Iterator<String> it = args.iterator(); it.hasNext(); ) {
      String option = it.next();
      if (!isOption(option)) {
        continue;
      }
      it.remove();
      String value = ClusterOptions.value(option, it);
      it.remove();
      try {
        apply(option, value);
      } catch (IllegalArgumentException e) {
        throw new UsageException(option + ": " + e.getMessage());
      }
    }
  }

  private static boolean isOption(String arg) {
    switch (arg) {
      case "--max-in-flight":
      case "--max-in-flight-all-clients":
      case "--max-request-rate":
      case "--request-burst":
      case "--max-queued-frames":
      case "--max-queued-bytes":
      case "--max-connections":
      case "--max-connections-per-address":
      case "--max-joins-per-second-per-address":
      case "--join-burst":
      case "--idle-timeout":
      case "--hello-timeout":
        return true;
      default:
        return false;
    }
  }

  private void apply(String option, String value) throws UsageException {
    switch (option) {
      case "--max-in-flight":
        builder.maxInFlightSends(
            ClusterOptions.integer(option, value, 1, TcpServerConfig.MAX_IN_FLIGHT_SENDS_LIMIT));
        break;
      case "--max-in-flight-all-clients":
        builder.maxInFlightSendsAllClients(
            ClusterOptions.integer(option, value, 0, Integer.MAX_VALUE));
        break;
      case "--max-request-rate":
        builder.maxRequestsPerSecond(ClusterOptions.integer(option, value, 0, Integer.MAX_VALUE));
        break;
      case "--request-burst":
        builder.requestBurst(ClusterOptions.integer(option, value, 1, Integer.MAX_VALUE));
        break;
      case "--max-queued-frames":
        builder.maxQueuedFrames(ClusterOptions.integer(option, value, 1, Integer.MAX_VALUE));
        break;
      case "--max-queued-bytes":
        builder.maxQueuedBytes(ClusterOptions.integer(option, value, 1, Integer.MAX_VALUE));
        break;
      case "--max-connections":
        builder.maxConnections(ClusterOptions.integer(option, value, 1, Integer.MAX_VALUE));
        break;
      case "--max-connections-per-address":
        builder.maxConnectionsPerAddress(
            ClusterOptions.integer(option, value, 1, Integer.MAX_VALUE));
        break;
      case "--max-joins-per-second-per-address":
        builder.maxJoinsPerSecondPerAddress(
            ClusterOptions.integer(option, value, 0, Integer.MAX_VALUE));
        break;
      case "--join-burst":
        builder.joinBurstPerAddress(ClusterOptions.integer(option, value, 1, Integer.MAX_VALUE));
        break;
      case "--idle-timeout":
        Duration idle = Durations.parseAllowingZero(option, value);
        builder.idleTimeout(idle);
        break;
      case "--hello-timeout":
        builder.helloTimeout(Durations.parseAllowingZero(option, value));
        break;
      default:
        throw new AssertionError(option);
    }
  }

  /** The client listener's settings: these limits, on {@code host}:{@code port}. */
  TcpServerConfig config(String host, int port) {
    return builder.host(host).port(port).build();
  }
}
