package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.transport.tcp.TcpServerConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Example servers run as child processes of this one ({@code bench --processes}): the same jar's
 * {@code server} command, each on a free loopback port, in a cluster of its own (a unique name and
 * a free multicast port), with default settings otherwise. Their output is kept (the last lines of
 * each) to show when something fails. {@link #close()} stops them cleanly (SIGTERM, as Ctrl+C
 * would), kills any that do not go within a few seconds, and waits for every one; a shutdown hook
 * does the same if this process is stopped first, and each child stops by itself when this
 * process is gone ({@code server --parent}).
 */
final class ChildServers implements AutoCloseable {
  private static final int KEPT_LINES = 200;

  /** One server process and the last lines it printed. */
  static final class Child {
    final String id;
    final int port;
    final Process process;
    private final Deque<String> lines = new ArrayDeque<>();

    Child(String id, int port, Process process) {
      this.id = id;
      this.port = port;
      this.process = process;
    }

    synchronized void line(String line) {
      if (lines.size() == KEPT_LINES) {
        lines.removeFirst();
      }
      lines.addLast(line);
    }

    synchronized String tail(int count) {
      List<String> all = new ArrayList<>(lines);
      return String.join("\n", all.subList(Math.max(0, all.size() - count), all.size()));
    }

    synchronized boolean printed(String text) {
      return lines.stream().anyMatch(l -> l.contains(text));
    }
  }

  private final List<Child> children = new ArrayList<>();
  private final Thread hook = new Thread(this::stopAll, "bench-stop-servers");
  private boolean closed;

  private ChildServers() {}

  /**
   * Starts {@code count} servers, {@code server1}..{@code serverN}, in cluster {@code cluster} on
   * multicast port {@code mcastPort} (loopback). Returns at once; see {@link #ready()}.
   */
  static ChildServers start(int count, String cluster, int mcastPort) throws IOException {
    ChildServers servers = new ChildServers();
    Runtime.getRuntime().addShutdownHook(servers.hook);
    try {
      for (int i = 1; i <= count; i++) {
        servers.startOne("server" + i, freeTcpPort(), cluster, mcastPort);
      }
    } catch (IOException | RuntimeException e) {
      servers.close();
      throw e;
    }
    return servers;
  }

  private void startOne(String id, int port, String cluster, int mcastPort) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = List.of(
        java,
        "-cp",
        System.getProperty("java.class.path"),
        Main.class.getName(),
        "server",
        id,
        String.valueOf(port),
        "--cluster",
        cluster,
        "--mcast-port",
        String.valueOf(mcastPort),
        // Every client of the benchmark comes from this host: the per-address limits would be
        // the ones on the whole server (up to 1,000 subscribers join at once).
        "--max-connections-per-address",
        String.valueOf(TcpServerConfig.DEFAULT_MAX_CONNECTIONS),
        "--max-joins-per-second-per-address",
        "0",
        "--parent",
        String.valueOf(ProcessHandle.current().pid()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    Child child = new Child(id, port, process);
    synchronized (this) {
      children.add(child);
    }
    Thread reader = new Thread(
        () -> {
          try (BufferedReader in = new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
              child.line(line);
            }
          } catch (IOException e) {
            // the process is gone
          }
        },
        "bench-log-" + id);
    reader.setDaemon(true);
    reader.start();
  }

  synchronized List<Child> children() {
    return List.copyOf(children);
  }

  /** Where clients reach the servers, in order. */
  synchronized List<InetSocketAddress> addresses() {
    List<InetSocketAddress> addresses = new ArrayList<>();
    for (Child c : children) {
      addresses.add(new InetSocketAddress("127.0.0.1", c.port));
    }
    return addresses;
  }

  /** Whether every server has said it accepts clients. */
  synchronized boolean ready() {
    return children.stream().allMatch(c -> c.printed("clients connect on"));
  }

  /** A server that has exited already (it should not have), or null. */
  synchronized @org.jspecify.annotations.Nullable Child exited() {
    return children.stream().filter(c -> !c.process.isAlive()).findFirst().orElse(null);
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    stopAll();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // this process is shutting down: the hook runs (or ran) stopAll too
    }
  }

  /** SIGTERM to each (a clean stop), then SIGKILL to any still running after 5 s; reaps them all. */
  private void stopAll() {
    List<Child> all = children();
    for (Child c : all) {
      c.process.destroy();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (Child c : all) {
      waitFor(c.process, Math.max(0, deadline - System.nanoTime()));
    }
    for (Child c : all) {
      if (c.process.isAlive()) {
        c.process.destroyForcibly();
        waitFor(c.process, TimeUnit.SECONDS.toNanos(5));
      }
    }
  }

  /** Waits up to {@code nanos} for {@code process} to end; an interrupt does not cut it short. */
  private static void waitFor(Process process, long nanos) {
    long deadline = System.nanoTime() + nanos;
    boolean interrupted = false;
    while (process.isAlive() && deadline - System.nanoTime() > 0) {
      try {
        process.waitFor(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** A free TCP port on 127.0.0.1: the OS picks one, the child binds it a moment later. */
  static int freeTcpPort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return probe.getLocalPort();
    }
  }
}
