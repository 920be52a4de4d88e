package io.github.ringleader.messaging.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A small network of "hosts" made of Linux network namespaces, for tests that run servers as if
 * on separate machines. One namespace, the <em>switch</em>, holds a bridge; each host namespace
 * has one veth, {@value #HOST_INTERFACE}, plugged into that bridge, with the address {@code
 * 10.201.0.<n>/24} and multicast on. Nothing is added to the namespace the test runs in: no
 * interface, no address, no route, no firewall rule; all traffic, multicast included, stays on
 * this private bridge, which no other network is connected to.
 *
 * <p>Names are unique per lab ({@code rlnet-<pid>-<random>-sw}, {@code ...-h1}, ...), so labs of
 * several test JVMs do not meet. {@link #close()} kills every process still running in the
 * lab's namespaces and deletes them (the firewall rules, veths and bridge go with them); a
 * shutdown hook does the same if the JVM stops first; and {@link #create} first deletes the
 * namespaces of labs whose JVM is gone (killed before its hook could run).
 *
 * <p>Needs root and {@code ip} (iproute2); {@link #unavailable()} says why a lab cannot be made
 * here, for {@code Assumptions}. Loss and isolation need {@code iptables} too ({@link
 * #iptablesMissing()}); {@code scripts/install-test-tools.sh} installs it when run as root.
 */
final class NetnsLab implements AutoCloseable {
  /** The interface of every host namespace, on the lab's bridge. */
  static final String HOST_INTERFACE = "veth0";

  private static final String PREFIX = "rlnet-";
  private static final String SUBNET = "10.201.0.";
  private static final Pattern LAB_NAME =
      Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-[0-9a-f]+-\\w+");
  private static final long COMMAND_SECONDS = 20;

  /** Reads commands' output: a thread per stream (the common pool may have one thread). */
  private static final java.util.concurrent.ExecutorService READERS =
      java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "netns-lab-output");
        t.setDaemon(true);
        return t;
      });

  private static volatile @Nullable String unavailable;
  private static volatile boolean probed;

  /** One host: a namespace with one veth on the lab's bridge. */
  static final class Host {
    /** 1-based. */
    final int number;
    /** The network namespace's name. */
    final String namespace;
    /** Its address on the bridge, {@code 10.201.0.<number>}. */
    final String address;
    /** The switch's side of its veth (the bridge port). */
    private final String switchPort;

    private Host(int number, String namespace, String address, String switchPort) {
      this.number = number;
      this.namespace = namespace;
      this.address = address;
      this.switchPort = switchPort;
    }

    /** {@code command} prefixed with {@code ip netns exec <namespace>}: it runs on this host. */
    List<String> command(List<String> command) {
      List<String> full = new ArrayList<>(List.of(tool("ip"), "netns", "exec", namespace));
      full.addAll(command);
      return full;
    }

    @Override
    public String toString() {
      return namespace + " (" + address + ")";
    }
  }

  private final String switchNamespace;
  private final List<Host> hosts = new ArrayList<>();
  private final Thread hook = new Thread(this::teardown, "netns-lab-teardown");
  private boolean closed;

  private NetnsLab(String name) {
    this.switchNamespace = name + "-sw";
  }

  /**
   * Why no lab can be made here, or null if it can: not Linux, not root, no {@code ip}, or the
   * kernel refuses a namespace, a bridge or a veth. Probed once per JVM.
   */
  static synchronized @Nullable String unavailable() {
    if (!probed) {
      unavailable = probe();
      probed = true;
    }
    return unavailable;
  }

  private static @Nullable String probe() {
    if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      return "network-namespace tests need Linux (this is " + System.getProperty("os.name") + ")";
    }
    try {
      String uid = run(List.of("id", "-u")).trim();
      if (!uid.equals("0")) {
        return "network-namespace tests need root (uid is " + uid + "); .ci/run runs them as root";
      }
    } catch (IOException e) {
      return "cannot tell the user id: " + e.getMessage();
    }
    if (!tool("ip").startsWith("/")) {
      return "network-namespace tests need the ip command (iproute2), which is not installed";
    }
    String name = PREFIX + ProcessHandle.current().pid() + "-" + suffix() + "-probe";
    try {
      run(List.of("ip", "netns", "add", name));
      try {
        run(List.of("ip", "-n", name, "link", "add", "br0", "type", "bridge"));
        run(List.of("ip", "-n", name, "link", "add", "p1", "type", "veth", "peer", "name", "p2"));
      } finally {
        run(List.of("ip", "netns", "delete", name));
      }
      return null;
    } catch (IOException e) {
      return "network namespaces are not usable here (" + e.getMessage() + ")";
    }
  }

  /** Why iptables cannot be used in a lab, or null if it can. */
  static @Nullable String iptablesMissing() {
    if (tool("iptables").startsWith("/")) {
      return null;
    }
    return "iptables is not installed: run scripts/install-test-tools.sh as root (it installs"
        + " Debian's iptables), or apt-get install iptables";
  }

  /**
   * Makes a lab of {@code count} hosts (at most 250): a switch namespace with a bridge, and per
   * host a namespace with {@value #HOST_INTERFACE} at {@code 10.201.0.<n>/24} plugged into it.
   * Check {@link #unavailable()} first.
   */
  static NetnsLab create(int count) throws IOException {
    if (count < 1 || count > 250) {
      throw new IllegalArgumentException("1..250 hosts, was " + count);
    }
    removeStaleLabs();
    NetnsLab lab = new NetnsLab(PREFIX + ProcessHandle.current().pid() + "-" + suffix());
    Runtime.getRuntime().addShutdownHook(lab.hook);
    try {
      lab.build(count);
    } catch (IOException | RuntimeException e) {
      lab.close();
      throw e;
    }
    return lab;
  }

  private void build(int count) throws IOException {
    String sw = switchNamespace;
    run(List.of("ip", "netns", "add", sw));
    run(List.of("ip", "-n", sw, "link", "set", "lo", "up"));
    // No IGMP snooping: the bridge floods the group to every port, as a plain switch would,
    // without depending on a querier.
    run(List.of("ip", "-n", sw, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"));
    run(List.of("ip", "-n", sw, "link", "set", "br0", "up"));
    String base = sw.substring(0, sw.length() - "-sw".length());
    for (int n = 1; n <= count; n++) {
      Host host = new Host(n, base + "-h" + n, SUBNET + n, "h" + n);
      hosts.add(host);
      String ns = host.namespace;
      run(List.of("ip", "netns", "add", ns));
      // Both ends are made inside the lab's namespaces: the veth never exists in the caller's.
      run(List.of(
          "ip",
          "-n",
          sw,
          "link",
          "add",
          host.switchPort,
          "type",
          "veth",
          "peer",
          "name",
          HOST_INTERFACE,
          "netns",
          ns));
      run(List.of("ip", "-n", sw, "link", "set", host.switchPort, "master", "br0"));
      run(List.of("ip", "-n", sw, "link", "set", host.switchPort, "up"));
      run(List.of("ip", "-n", ns, "link", "set", "lo", "up"));
      run(List.of("ip", "-n", ns, "addr", "add", host.address + "/24", "dev", HOST_INTERFACE));
      run(List.of("ip", "-n", ns, "link", "set", HOST_INTERFACE, "multicast", "on", "up"));
    }
  }

  List<Host> hosts() {
    return hosts;
  }

  /** Host {@code number}, 1-based. */
  Host host(int number) {
    return hosts.get(number - 1);
  }

  /** Every namespace of this lab, the switch's first. */
  List<String> namespaces() {
    List<String> all = new ArrayList<>(List.of(switchNamespace));
    hosts.forEach(h -> all.add(h.namespace));
    return all;
  }

  /** Unplugs {@code host} from the switch: its bridge port goes down, its veth loses carrier. */
  void cutLink(Host host) throws IOException {
    run(List.of("ip", "-n", switchNamespace, "link", "set", host.switchPort, "down"));
  }

  /** Plugs {@code host} back in after {@link #cutLink}. */
  void restoreLink(Host host) throws IOException {
    run(List.of("ip", "-n", switchNamespace, "link", "set", host.switchPort, "up"));
  }

  /**
   * Drops each datagram and segment {@code host} receives on its veth with probability {@code
   * probability} ({@code iptables -m statistic --mode random}, on INPUT in the host's namespace).
   * The kernel here has no {@code sch_netem}, so loss is made with the firewall.
   */
  void addLoss(Host host, double probability) throws IOException {
    if (!(probability > 0 && probability < 1)) {
      throw new IllegalArgumentException("a probability in (0, 1), was " + probability);
    }
    iptables(
        host,
        "-A",
        "INPUT",
        "-i",
        HOST_INTERFACE,
        "-m",
        "statistic",
        "--mode",
        "random",
        "--probability",
        String.valueOf(probability),
        "-j",
        "DROP");
  }

  /**
   * Firewalls {@code host} off: everything in and out on its veth is dropped, while the link
   * stays up (unlike {@link #cutLink}, the host sees no carrier loss; its sends just vanish).
   */
  void isolate(Host host) throws IOException {
    iptables(host, "-I", "INPUT", "-i", HOST_INTERFACE, "-j", "DROP");
    iptables(host, "-I", "OUTPUT", "-o", HOST_INTERFACE, "-j", "DROP");
  }

  /** Removes {@link #isolate}'s rules. */
  void rejoin(Host host) throws IOException {
    iptables(host, "-D", "INPUT", "-i", HOST_INTERFACE, "-j", "DROP");
    iptables(host, "-D", "OUTPUT", "-o", HOST_INTERFACE, "-j", "DROP");
  }

  /** Runs {@code iptables <args>} in {@code host}'s namespace (its own tables, not the caller's). */
  String iptables(Host host, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(tool("iptables")));
    command.addAll(List.of(args));
    return run(host.command(command));
  }

  /**
   * {@code GET <path>} of {@code http://127.0.0.1:<port>} inside {@code host}, through bash's
   * {@code /dev/tcp} (no curl needed): the body, or null if nothing answered.
   */
  @Nullable
  String httpGet(Host host, int port, String path) {
    String script = "exec 3<>/dev/tcp/127.0.0.1/" + port + " && printf 'GET " + path
        + " HTTP/1.0\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && cat <&3";
    try {
      String response = run(host.command(List.of("bash", "-c", script)));
      int body = response.indexOf("\r\n\r\n");
      return body < 0 ? null : response.substring(body + 4);
    } catch (IOException notAnswering) {
      return null;
    }
  }

  /** Kills what still runs in the lab's namespaces and deletes them. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or will run teardown itself; it is idempotent
    }
    teardown();
  }

  private synchronized void teardown() {
    if (closed) {
      return;
    }
    closed = true;
    List<String> all = namespaces();
    java.util.Collections.reverse(all);
    for (String ns : all) {
      deleteNamespace(ns);
    }
  }

  /** Deletes labs left by JVMs that are gone (their shutdown hook never ran: kill -9). */
  private static void removeStaleLabs() {
    for (String ns : listNamespaces()) {
      Matcher m = LAB_NAME.matcher(ns);
      if (!m.matches()) {
        continue;
      }
      long pid = Long.parseLong(m.group(1));
      if (pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty()) {
        deleteNamespace(ns);
      }
    }
  }

  static List<String> listNamespaces() {
    List<String> names = new ArrayList<>();
    try {
      for (String line : run(List.of("ip", "netns", "list")).split("\n")) {
        String name = line.trim().split("\\s+")[0];
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
    } catch (IOException e) {
      // none to list
    }
    return names;
  }

  /**
   * Kills (SIGKILL, by pid) every process in {@code ns} — the servers and clients a test started
   * there — then deletes it; a namespace lives on while a process is in it.
   */
  private static void deleteNamespace(String ns) {
    try {
      for (String pid : run(List.of("ip", "netns", "pids", ns)).split("\\s+")) {
        if (!pid.isBlank()) {
          ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().orTimeout(5, TimeUnit.SECONDS).exceptionally(e -> p).join();
          });
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone already, or not ours to list: deleting below says which
    }
    try {
      run(List.of("ip", "netns", "delete", ns));
    } catch (IOException e) {
      System.err.println("NetnsLab: could not delete namespace " + ns + ": " + e.getMessage());
    }
  }

  private static String suffix() {
    return HexFormat.of().toHexDigits((short) ThreadLocalRandom.current().nextInt());
  }

  /**
   * Where program {@code name} is: on the PATH, or in an sbin directory (which a non-login root
   * shell may not have on its PATH); {@code name} itself if not found.
   */
  static String tool(String name) {
    List<String> dirs = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      if (!dir.isEmpty()) {
        dirs.add(dir);
      }
    }
    dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
    for (String dir : dirs) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate.toAbsolutePath().toString();
      }
    }
    return name;
  }

  /** Runs {@code command} to completion; its stdout, or an IOException with its stderr. */
  static String run(List<String> command) throws IOException {
    List<String> resolved = new ArrayList<>(command);
    resolved.set(0, tool(command.get(0)));
    Process process = new ProcessBuilder(resolved).redirectErrorStream(false).start();
    process.getOutputStream().close();
    // Read both streams on their own threads, so neither pipe fills and blocks the command, and
    // a command that hangs with its output open still meets the deadline below.
    java.util.concurrent.CompletableFuture<byte[]> out =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> readAll(process.getInputStream()), READERS);
    java.util.concurrent.CompletableFuture<byte[]> err =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> readAll(process.getErrorStream()), READERS);
    try {
      if (!process.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(
            String.join(" ", command) + ": no answer in " + COMMAND_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
    if (process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): "
          + new String(err.join(), StandardCharsets.UTF_8).trim());
    }
    return new String(out.join(), StandardCharsets.UTF_8);
  }

  private static byte[] readAll(java.io.InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }
}
