package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.node.NodeConfig;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.server.MessagingServer;
import io.github.ringleader.messaging.transport.udp.UdpTransportConfig;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code server <id> <port> [options]}: runs one cluster member until Ctrl+C (or SIGTERM), which
 * stops it cleanly — it tells the others it is leaving, so they do not wait for the failure
 * detector.
 */
final class ServerCommand {
  private static final Logger log = LoggerFactory.getLogger("ringleader.server");

  static final String USAGE =
      "usage: java -jar messaging-examples.jar server <id> <port> [options]\n"
          + "\n"
          + "Runs one server of a Ringleader cluster. <id> is 1-64 of [A-Za-z0-9._-]; the\n"
          + "highest id leads. <port> is the TCP port clients connect to.\n"
          + "\n"
          + "options:\n"
          + ClusterOptions.HELP
          + ClientLimitOptions.HELP
          + HttpOptions.HELP
          + TlsOptions.SERVER_HELP
          + AuthOptions.SERVER_HELP
          + "  --parent <pid>             stop cleanly (as on Ctrl+C) when process <pid> ends; bench\n"
          + "                             --processes starts its servers with it, so none outlives it\n"
          + "  --help                     show this help\n";

  private ServerCommand() {}

  static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.contains("--help")) {
      out.print(USAGE);
      return 0;
    }
    ClusterOptions options = new ClusterOptions();
    ClientLimitOptions limits = new ClientLimitOptions();
    HttpOptions http = new HttpOptions();
    AuthOptions auth = new AuthOptions();
    NodeId id;
    int port;
    UdpTransportConfig transportConfig;
    ClusterOptions.ClusterSetup cluster;
    long parent = 0;
    io.github.ringleader.messaging.transport.tcp.@Nullable TlsServerSettings tls;
    try {
      List<String> rest = new java.util.ArrayList<>(args);
      int at = rest.indexOf("--parent");
      if (at >= 0) {
        if (at + 1 >= rest.size()) {
          throw new UsageException("--parent needs a value");
        }
        String pid = rest.get(at + 1);
        try {
          parent = Long.parseLong(pid.trim());
        } catch (NumberFormatException e) {
          throw new UsageException("--parent takes a process id, was \"" + pid + "\"");
        }
        rest.subList(at, at + 2).clear();
      }
      limits.takeFrom(rest);
      http.takeFrom(rest);
      tls = TlsOptions.takeServerOptions(rest, System.getenv());
      auth.takeServerOptionsFrom(rest);
      List<String> positional = options.parse(rest);
      if (positional.size() != 2) {
        throw new UsageException("server takes <id> and <port>, got " + positional.size()
            + " argument(s): " + positional);
      }
      String problem = NodeId.problemWith(positional.get(0));
      if (problem != null) {
        throw new UsageException("<id>: " + problem);
      }
      id = NodeId.of(positional.get(0));
      port = ClusterOptions.integer("<port>", positional.get(1), 1, 65535);
      cluster = options.clusterSetup();
      transportConfig = cluster.transport();
    } catch (UsageException e) {
      return e.report(err, USAGE);
    }

    // Clients listen where the cluster talks: on loopback for a one-machine cluster, on every
    // interface once a network interface is named; the address announced to clients is the
    // cluster interface's own.
    boolean loopback = isLoopback(transportConfig);
    String bind = loopback ? "127.0.0.1" : "0.0.0.0";
    String advertised = loopback ? "127.0.0.1" : advertisedHost(transportConfig);
    NodeTimeline timeline = new NodeTimeline(System::currentTimeMillis);
    MessagingServer server = MessagingServer.builder()
        .node(cluster
            .applyTo(options.applyTo(
                auth.applyTo(MessagingNode.builder().nodeId(id).clientHost(advertised))))
            .listener(timeline)
            .jmx(true))
        .cluster(transportConfig)
        .clients(limits.config(bind, port).withTls(tls))
        .build();
    CountDownLatch stopped = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean stopping =
        new java.util.concurrent.atomic.AtomicBoolean();
    // The node exists once the server starts (after the HTTP port, so a taken HTTP port stops it
    // before it joins); its listener counts once clients are welcome (the node runs).
    java.util.concurrent.atomic.AtomicReference<@Nullable MessagingServer> opened =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean accepting =
        new java.util.concurrent.atomic.AtomicBoolean();
    StatusHttpServer httpServer = null;
    if (http.enabled()) {
      try {
        httpServer = StatusHttpServer.start(
            http.host,
            http.port,
            new StatusHttpServer.Sources(
                () -> {
                  MessagingServer s = opened.get();
                  return s == null ? null : s.metrics();
                },
                timeline,
                () -> {
                  MessagingServer s = opened.get();
                  return s == null || !accepting.get() ? null : s.clientStats();
                },
                () -> {
                  MessagingServer s = opened.get();
                  return s == null ? null : s.clusterStats();
                },
                System::currentTimeMillis));
      } catch (java.io.IOException | RuntimeException e) {
        err.println("error: cannot serve HTTP on " + http.host + ":" + http.port + ": "
            + (e.getMessage() != null ? e.getMessage() : e.toString()));
        return 1;
      }
    }
    StatusHttpServer endpoints = httpServer;
    // One hook, in order: the server stops (the node says goodbye to its clients, which resume
    // elsewhere, and leaves the cluster; the goodbyes get out; then the client listener closes),
    // then the HTTP endpoints. (Separate hooks would run at once.)
    Thread hook = new Thread(
        () -> {
          stopping.set(true);
          log.info("stopping {}: leaving the cluster", id);
          server.close();
          if (endpoints != null) {
            endpoints.close();
          }
          stopped.countDown();
        },
        "ringleader-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    log.info(
        "server {} on client port {}, cluster '{}', multicast {}:{} via {} (TTL {}), heartbeat {} × {}"
            + " missed, capacity {}",
        id,
        port,
        options.cluster,
        transportConfig.group().getHostAddress(),
        transportConfig.port(),
        transportConfig.interfaceName(),
        transportConfig.ttl(),
        NodeConfig.format(options.heartbeat),
        options.missed,
        options.capacity);
    io.github.ringleader.messaging.transport.@Nullable ClusterKey key = cluster.key();
    log.info(
        key == null
            ? "cluster frames are neither encrypted nor authenticated (no cluster key)"
            : "cluster frames are encrypted and authenticated with the cluster key ("
                + key.acceptedKeys().size()
                + (key.acceptedKeys().size() == 1 ? " key)" : " keys: sealing with the first)"));
    log.info(auth.describe());
    java.util.concurrent.CompletableFuture<Void> running = server.startAsync();
    if (!running.isCompletedExceptionally()) {
      opened.set(server);
    }
    try {
      running.get();
      accepting.set(true);
      log.info(
          "clients connect on {}:{} (announced to clients as {}:{})",
          bind,
          server.clientPort(),
          advertised.isEmpty() ? "?" : advertised,
          port);
    } catch (ExecutionException e) {
      if (stopping.get()) {
        // Ctrl+C or SIGTERM while it was starting: the hook stops it, and that is all to say.
        return 0;
      }
      // The node has logged why (a taken id: DuplicateNodeIdException; a transport that could
      // not bind: the IOException). A client port that could not be bound, before the node was
      // made, is said here.
      Throwable cause = e.getCause();
      if (opened.get() == null && cause != null) {
        Throwable bindError = cause instanceof java.io.IOException ? cause.getCause() : null;
        err.println(
            bindError != null
                ? "error: cannot accept clients on port " + port + ": " + bindError.getMessage()
                : "error: " + cause.getMessage());
      }
      removeHook(hook);
      server.close();
      if (endpoints != null) {
        endpoints.close();
      }
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
    if (parent > 0) {
      java.util.Optional<ProcessHandle> watched = ProcessHandle.of(parent);
      if (watched.isEmpty()) {
        log.info("process {} is gone already: stopping", parent);
        System.exit(0); // runs the hook: a clean stop
      }
      long pid = parent;
      watched.get().onExit().thenRun(() -> {
        log.info("process {} ended: stopping", pid);
        System.exit(0);
      });
    }
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** Removes {@code hook} unless the JVM is already stopping (Ctrl+C), which runs it anyway. */
  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs: it closes the node
    }
  }

  /** The cluster interface's first IPv4 address (else any of its addresses), or "" if none. */
  private static String advertisedHost(UdpTransportConfig config) {
    java.net.InetAddress any = null;
    for (java.net.InetAddress address :
        java.util.Collections.list(config.networkInterface().getInetAddresses())) {
      if (address instanceof java.net.Inet4Address) {
        return address.getHostAddress();
      }
      if (any == null && !address.isLinkLocalAddress()) {
        any = address;
      }
    }
    return any == null ? "" : any.getHostAddress().replaceFirst("%.*$", "");
  }

  private static boolean isLoopback(UdpTransportConfig config) {
    try {
      return config.networkInterface().isLoopback();
    } catch (java.net.SocketException e) {
      return false; // the transport reports the interface's trouble when it starts
    }
  }
}
