package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Real processes of the example server ({@code Main server <id> <port> ...}) for tests, with
 * their log lines collected, plus the small helpers such tests share: free loopback ports and
 * waiting for a condition with a deadline. {@link #close()} kills whatever is still running.
 */
final class ServerProcesses implements AutoCloseable {

  /** One server process and what it has logged so far. */
  static final class Server {
    final String id;
    final int port;
    final Process process;
    final List<String> log = new CopyOnWriteArrayList<>();
    /** Set once the process's output has ended: {@link #log} then holds every line. */
    volatile boolean logEnded;

    private Server(String id, int port, Process process) {
      this.id = id;
      this.port = port;
      this.process = process;
    }

    boolean logged(String text) {
      return log.stream().anyMatch(line -> line.contains(text));
    }

    /** The last {@code lines} lines of the log, for an assertion message. */
    String tail(int lines) {
      List<String> all = List.copyOf(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
  }

  private final List<Server> servers = new ArrayList<>();

  /**
   * Starts {@code java -cp <this class path> Main server <id> <port> <options>} and collects its
   * output (stdout and stderr) line by line.
   */
  Server start(String id, int port, String... options) throws IOException {
    return start(List.of(), id, port, options);
  }

  /**
   * As {@link #start(String, int, String...)}, the command run through {@code launcher} (e.g.
   * {@code ip netns exec <namespace>}, which runs it inside a network namespace).
   */
  Server start(List<String> launcher, String id, int port, String... options) throws IOException {
    List<String> command = new ArrayList<>(launcher);
    command.addAll(mainCommand("server", id, String.valueOf(port)));
    command.addAll(List.of(options));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    Server server = new Server(id, port, process);
    servers.add(server);
    Thread reader = new Thread(
        () -> {
          try (BufferedReader in = new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
              server.log.add(line);
            }
          } catch (IOException e) {
            // the process is gone
          }
          server.logEnded = true;
        },
        "log-" + id);
    reader.setDaemon(true);
    reader.start();
    return server;
  }

  /** {@code java -cp <this class path> Main <args>}: the example's command line in a new JVM. */
  static List<String> mainCommand(String... args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(
        List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    return command;
  }

  List<Server> servers() {
    return servers;
  }

  /** Kills every server still running (SIGKILL) and waits briefly for each to go. */
  @Override
  public void close() {
    for (Server server : servers) {
      server.process.destroyForcibly();
    }
    for (Server server : servers) {
      try {
        server.process.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  static int freeTcpPort() throws IOException {
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return probe.getLocalPort();
    }
  }

  static int freeUdpPort() throws IOException {
    try (DatagramChannel probe = DatagramChannel.open()) {
      probe.bind(new InetSocketAddress(0));
      return ((InetSocketAddress) probe.getLocalAddress()).getPort();
    }
  }

  /** Waits, polling every 20 ms, until {@code condition} holds; fails the test after {@code limit}. */
  static void await(BooleanSupplier condition, Duration limit, String what)
      throws InterruptedException {
    await(condition, limit, () -> what);
  }

  /** As {@link #await(BooleanSupplier, Duration, String)}, the description made only on failure. */
  static void await(BooleanSupplier condition, Duration limit, Supplier<String> what)
      throws InterruptedException {
    await(condition, limit, Duration.ofMillis(20), what);
  }

  /**
   * As {@link #await(BooleanSupplier, Duration, Supplier)}, polling every {@code pause}: for a
   * condition that is costly to check (one that starts processes, say).
   */
  static void await(
      BooleanSupplier condition, Duration limit, Duration pause, Supplier<String> what)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        assertThat(condition.getAsBoolean())
            .as("waited %s for %s", limit, what.get())
            .isTrue();
        return;
      }
      Thread.sleep(pause.toMillis());
    }
  }

  /** Waits like {@link #await} but says whether the condition came true instead of failing. */
  static boolean within(BooleanSupplier condition, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return condition.getAsBoolean();
      }
      Thread.sleep(20);
    }
    return true;
  }
}
