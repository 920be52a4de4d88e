// NatsBench: the scenarios of Ringleader's `bench --processes` (fanout, steady, rtt) against a NATS
// cluster, with a minimal NATS client written on the JDK alone (the client protocol is text:
// INFO, CONNECT, PUB, SUB, MSG, PING, PONG, +OK, -ERR). Nothing here is part of the Maven build.
//
//   java scripts/nats-compare/NatsBench.java probe --servers 127.0.0.1:4222,127.0.0.1:4223,...
//   java scripts/nats-compare/NatsBench.java [bench] --servers ... --scenario all --seconds 5
//
// Every client runs in this process, so one clock (System.nanoTime) times sends and deliveries.
// Each message is "K|seq|nanos|" padded with dots to --size bytes; every receiver tracks which
// sequence numbers it got (lost, doubled, out of order). NATS core publishing has no
// per-message acknowledgement: "published" is what the publisher wrote to its socket (and the
// server confirmed reading with a PONG at the end), not what the cluster acknowledged.
//
// Exit codes: 0 nothing lost, doubled or reordered; 1 something was; 2 bad command line;
// 3 could not connect, or the cluster's routes were not up in time; 4 the watchdog fired.

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class NatsBench {
  static final String USAGE =
      "usage: java NatsBench.java [bench|probe] --servers <host:port,...> [options]\n"
          + "\n"
          + "  probe   connect to every server, subscribe on each, publish from each until every\n"
          + "          subscriber has heard every publisher (routes up), at most --timeout s\n"
          + "  bench   run --scenario fanout | steady | rtt | all (default all)\n"
          + "\n"
          + "options (defaults as in Ringleader's bench):\n"
          + "  --seconds <n>       how long to send, per scenario (default 10, 1..120)\n"
          + "  --rate <n>          steady: messages per second (default 5000)\n"
          + "  --size <bytes>      message payload size (default 128, 48..4096)\n"
          + "  --subscribers <n>   fanout, steady: subscribers round-robin over the servers (default\n"
          + "                      2 per server)\n"
          + "  --count <n>         most messages (pings) per scenario (default 1000000)\n"
          + "  --window <n>        fanout: most published messages the server has not confirmed\n"
          + "                      reading (a PING after every window/2, default 1000)\n"
          + "  --ping-rate <n>     rtt: most round trips a second (default 500)\n"
          + "  --warmup <n>        leave what is sent in the first n seconds out of the latencies\n"
          + "  --timeout <n>       probe: seconds to wait for the routes (default 10)\n";

  static final long DRAIN_MAX_NANOS = TimeUnit.SECONDS.toNanos(10);
  static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(2);
  static final long WARM_NANOS = TimeUnit.SECONDS.toNanos(10);
  static final long CONFIRM_NANOS = TimeUnit.SECONDS.toNanos(10);
  static final long PONG_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

  // settings
  List<InetSocketAddress> servers = new ArrayList<>();
  int seconds = 10;
  int rate = 5000;
  int size = 128;
  Integer subscribers;
  int count = 1_000_000;
  int window = 1000;
  int pingRate = 500;
  int warmup = 0;
  int timeout = 10;
  String scenario = "all";
  final String tag = Long.toString(ProcessHandle.current().pid()) + "-" + ThreadLocalRandom.current().nextInt(1_000_000);
  volatile long measureFrom;

  public static void main(String[] args) {
    NatsBench b = new NatsBench();
    String command = "bench";
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    if (!rest.isEmpty() && (rest.get(0).equals("bench") || rest.get(0).equals("probe"))) {
      command = rest.remove(0);
    }
    try {
      b.parse(rest);
    } catch (IllegalArgumentException e) {
      System.err.println("NatsBench: " + e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
    }
    int scenarios = b.scenario.equals("all") ? 3 : 1;
    long limitSeconds = command.equals("probe") ? b.timeout + 10 : scenarios * (b.seconds + 35L) + 10;
    Thread watchdog = new Thread(() -> {
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(limitSeconds));
      System.out.println("FAILED: watchdog: still running after " + limitSeconds + " s; exiting");
      System.out.flush();
      Runtime.getRuntime().halt(4);
    }, "watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    int code;
    try {
      code = command.equals("probe") ? b.probe() : b.bench();
    } catch (IOException e) {
      b.say("FAILED: %s", e);
      code = 3;
    }
    System.out.flush();
    System.exit(code);
  }

  void parse(List<String> args) {
    Iterator<String> it = args.iterator();
    while (it.hasNext()) {
      String arg = it.next();
      switch (arg) {
        case "--help" -> {
          System.out.print(USAGE);
          System.exit(0);
        }
        case "--servers" -> {
          for (String hp : value(arg, it).split(",")) {
            int colon = hp.lastIndexOf(':');
            if (colon <= 0) {
              throw new IllegalArgumentException("--servers wants host:port,... was " + hp);
            }
            servers.add(new InetSocketAddress(hp.substring(0, colon), integer(arg, hp.substring(colon + 1), 1, 65535)));
          }
        }
        case "--scenario" -> {
          scenario = value(arg, it);
          if (!List.of("fanout", "steady", "rtt", "all").contains(scenario)) {
            throw new IllegalArgumentException("--scenario must be fanout, steady, rtt or all");
          }
        }
        case "--seconds" -> seconds = integer(arg, value(arg, it), 1, 120);
        case "--rate" -> rate = integer(arg, value(arg, it), 1, 1_000_000);
        case "--size" -> size = integer(arg, value(arg, it), 48, 4096);
        case "--subscribers" -> subscribers = integer(arg, value(arg, it), 1, 1000);
        case "--count" -> count = integer(arg, value(arg, it), 1, 10_000_000);
        case "--window" -> window = integer(arg, value(arg, it), 2, 100_000);
        case "--ping-rate" -> pingRate = integer(arg, value(arg, it), 1, 100_000);
        case "--warmup" -> warmup = integer(arg, value(arg, it), 0, 120);
        case "--timeout" -> timeout = integer(arg, value(arg, it), 1, 120);
        default -> throw new IllegalArgumentException("unknown option " + arg);
      }
    }
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("--servers is required");
    }
    if (warmup >= seconds) {
      throw new IllegalArgumentException("--warmup must be shorter than --seconds (" + seconds + "), was " + warmup);
    }
    if (subscribers == null) {
      subscribers = 2 * servers.size();
    }
  }

  static String value(String arg, Iterator<String> it) {
    if (!it.hasNext()) {
      throw new IllegalArgumentException(arg + " needs a value");
    }
    return it.next();
  }

  static int integer(String arg, String text, int min, int max) {
    try {
      int v = Integer.parseInt(text.trim());
      if (v < min || v > max) {
        throw new IllegalArgumentException(arg + " must be in " + min + ".." + max + ", was " + v);
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(arg + " wants a number, was \"" + text + "\"");
    }
  }

  // ---------------------------------------------------------------- probe

  /** Every server publishes until every server's subscriber has heard from every publisher. */
  int probe() throws IOException {
    int n = servers.size();
    String subject = "probe." + tag;
    List<Conn> conns = new ArrayList<>();
    boolean[][] heard = new boolean[n][n];
    for (int i = 0; i < n; i++) {
      heard[i][i] = true; // CONNECT says echo:false: a connection never hears itself; routes are what counts
    }
    try {
      for (int i = 0; i < n; i++) {
        int me = i;
        Conn c = Conn.open(servers.get(i), "probe" + i, (conn, sid, reply, buf, off, len) -> {
          long from = parseField(buf, off, len, 1);
          if (from >= 0 && from < n) {
            synchronized (heard) {
              heard[me][(int) from] = true;
            }
          }
        });
        conns.add(c);
        c.sub(subject, 1);
      }
      for (Conn c : conns) {
        c.flushAndConfirm(CONFIRM_NANOS);
      }
      long start = System.nanoTime();
      long deadline = start + TimeUnit.SECONDS.toNanos(timeout);
      int round = 0;
      while (System.nanoTime() - deadline < 0) {
        boolean all = true;
        synchronized (heard) {
          for (boolean[] row : heard) {
            for (boolean h : row) {
              all &= h;
            }
          }
        }
        if (all) {
          say("probe: routes up: each of %d servers (%s) heard from every other within %.2f s.", n,
              String.join(", ", conns.stream().map(c -> c.server).toList()), (System.nanoTime() - start) / 1e9);
          return 0;
        }
        for (int i = 0; i < n; i++) {
          byte[] p = ("W|" + i + "|" + round + "|").getBytes(StandardCharsets.US_ASCII);
          conns.get(i).pub(subject, null, p, 0, p.length);
          conns.get(i).flush();
        }
        round++;
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
      StringBuilder missing = new StringBuilder();
      synchronized (heard) {
        for (int i = 0; i < n; i++) {
          for (int j = 0; j < n; j++) {
            if (!heard[i][j]) {
              missing.append(' ').append(conns.get(j).server).append("->").append(conns.get(i).server);
            }
          }
        }
      }
      say("probe: FAILED: after %d s these server pairs still pass nothing:%s", timeout, missing);
      return 3;
    } finally {
      conns.forEach(Conn::close);
    }
  }

  // ---------------------------------------------------------------- bench

  int bench() throws IOException {
    say("NATS bench: servers %s, scenario %s, %d-byte messages, %d s per scenario%s.",
        String.join(",", servers.stream().map(a -> a.getHostString() + ":" + a.getPort()).toList()), scenario, size,
        seconds, warmup == 0 ? "" : ", warm-up " + warmup + " s");
    int worst = 0;
    if (scenario.equals("fanout") || scenario.equals("all")) {
      worst = Math.max(worst, publish(false));
      say("");
    }
    if (scenario.equals("steady") || scenario.equals("all")) {
      worst = Math.max(worst, publish(true));
      say("");
    }
    if (scenario.equals("rtt") || scenario.equals("all")) {
      worst = Math.max(worst, roundTrips());
    }
    return worst;
  }

  /** One subscriber of fanout/steady: counts by sequence number, times deliveries. */
  final class Sub implements Handler {
    final String name;
    final BitSet seen;
    final long[] latency;
    int samples;
    long highest = -1;
    long doubled;
    long reordered;
    volatile long received;
    volatile boolean warm;
    volatile long lastNanos;
    Conn conn;
    boolean near;

    Sub(String name, int total) {
      this.name = name;
      this.seen = new BitSet(total);
      this.latency = new long[total];
    }

    @Override
    public void onMsg(Conn c, int sid, String reply, byte[] buf, int off, int len) {
      long now = System.nanoTime();
      if (len > 0 && buf[off] == 'W') {
        warm = true;
        return;
      }
      long seq = parseField(buf, off, len, 1);
      long sent = parseField(buf, off, len, 2);
      received++;
      lastNanos = now;
      if (seq < 0 || seq >= seen.size()) {
        return;
      }
      int s = (int) seq;
      if (seen.get(s)) {
        doubled++;
        return;
      }
      seen.set(s);
      if (seq < highest) {
        reordered++;
      }
      highest = Math.max(highest, seq);
      if (sent - measureFrom >= 0 && samples < latency.length) {
        latency[samples++] = now - sent;
      }
    }
  }

  int publish(boolean steady) throws IOException {
    String what = steady ? "Steady" : "Fan-out";
    int subs = subscribers;
    int total = steady ? (int) Math.min(count, (long) rate * seconds) : count;
    if (steady) {
      say("%s: 1 publisher, %d subscribers, %d-byte messages, %d/s for %d s (%d messages).", what, subs, size, rate,
          seconds, total);
    } else {
      say("%s: 1 publisher, %d subscribers, %d-byte messages, as fast as the server reads (at most %d not"
          + " confirmed by a PONG), up to %d messages or %d s.", what, subs, size, window, total, seconds);
    }
    String subject = (steady ? "steady." : "fanout.") + tag;
    List<Sub> list = new ArrayList<>();
    Conn pub = null;
    try {
      pub = Conn.open(servers.get(0), (steady ? "spub." : "fpub.") + tag, null);
      for (int i = 0; i < subs; i++) {
        Sub s = new Sub((steady ? "ssub" : "fsub") + (i + 1), total);
        s.conn = Conn.open(servers.get(i % servers.size()), s.name + "." + tag, s);
        s.conn.sub(subject, 1);
        s.near = s.conn.server.equals(pub.server);
        list.add(s);
      }
      for (Sub s : list) {
        s.conn.flushAndConfirm(CONFIRM_NANOS);
      }
      // Warm-up: publish W until every subscriber has one (the routes carry the interest).
      long warmStart = System.nanoTime();
      byte[] w = ("W|" + tag + "|").getBytes(StandardCharsets.US_ASCII);
      while (!list.stream().allMatch(s -> s.warm)) {
        if (System.nanoTime() - warmStart > WARM_NANOS) {
          say("FAILED: not every subscriber heard the publisher within %d s.", TimeUnit.NANOSECONDS.toSeconds(WARM_NANOS));
          return 3;
        }
        pub.pub(subject, null, w, 0, w.length);
        pub.flush();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }

      Payload payload = new Payload(steady ? 'S' : 'F', size);
      long start = System.nanoTime();
      measureFrom = start + TimeUnit.SECONDS.toNanos(warmup);
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      final Conn p = pub;
      long[] result = new long[3]; // sent, end of sending, worst lag
      Thread sender = new Thread(() -> {
        try {
          if (steady) {
            sendSteady(p, subject, payload, total, start, result);
          } else {
            sendFlat(p, subject, payload, total, end, result);
          }
        } catch (IOException e) {
          say("  publisher failed: %s", e);
        }
      }, "publisher");
      sender.setDaemon(true);
      sender.start();
      long nextReport = start + TimeUnit.SECONDS.toNanos(1);
      while (sender.isAlive() && System.nanoTime() - (end + DRAIN_MAX_NANOS) < 0) {
        join(sender, 100);
        if (System.nanoTime() - nextReport >= 0 && sender.isAlive()) {
          say("  %2d s: %d published, %d deliveries", Math.round((System.nanoTime() - start) / 1e9), p.published.get(),
              deliveries(list));
          nextReport += TimeUnit.SECONDS.toNanos(1);
        }
      }
      if (sender.isAlive()) {
        say("FAILED: the publisher was still sending %d s after the end.", TimeUnit.NANOSECONDS.toSeconds(DRAIN_MAX_NANOS));
        return 1;
      }
      long sent;
      long sendEnd;
      long maxLag;
      synchronized (result) {
        sent = result[0];
        sendEnd = result[1];
        maxLag = result[2];
      }
      // The server has read everything once it answers a PING sent after the last message.
      boolean confirmed = pub.flushAndConfirmQuietly(CONFIRM_NANOS);
      long confirmedAt = System.nanoTime();
      long expected = sent;
      drain(() -> list.stream().allMatch(s -> s.received >= expected), () -> deliveries(list),
          () -> say("  draining: %d of %d deliveries", deliveries(list), expected * subs));
      for (Sub s : list) {
        s.conn.close(); // joins the reader: its counts are final and visible from here on
      }
      long lastDelivery = list.stream().mapToLong(s -> s.lastNanos).max().orElse(start);
      long delivered = deliveries(list);

      say("");
      say("%s report (%s)", what, steady ? "latency from each message's scheduled send time" : "send time to delivery");
      if (steady) {
        say("  sending took              %.3f s (target %d s; worst lag behind schedule %.3f ms)",
            (sendEnd - start) / 1e9, seconds, maxLag / 1e6);
      }
      say("  published                 %d in %.3f s (%.1f/s)%s", sent, (sendEnd - start) / 1e9,
          sent / Math.max(1e-9, (sendEnd - start) / 1e9), !steady && sent < total ? " (stopped by the time limit)" : "");
      say("  published, read by server %s (%.1f/s, first publish to the PONG after the last; NATS core has no"
          + " per-message ack)", confirmed ? "all" : "NOT CONFIRMED", sent / Math.max(1e-9, (confirmedAt - start) / 1e9));
      say("  deliveries                %d (expected %d = %d x %d)", delivered, sent * subs, sent, subs);
      say("  deliveries/s              %.1f (first publish to last delivery, %.3f s)",
          delivered / Math.max(1e-9, (lastDelivery - start) / 1e9), (lastDelivery - start) / 1e9);
      say("  latency (ms)              %s%s", summary(list, null), warmupNote());
      say("    on the publisher's server %s", summary(list, true));
      say("    on other servers        %s", summary(list, false));
      say("  %-22s %-10s %10s %8s %8s %12s %s", "subscriber", "server", "received", "lost", "doubled", "out of order",
          "error");
      long lost = 0;
      long doubled = 0;
      long reordered = 0;
      long errors = 0;
      for (Sub s : list) {
        long l = sent - s.seen.get(0, (int) Math.min(sent, Integer.MAX_VALUE)).cardinality();
        lost += l;
        doubled += s.doubled;
        reordered += s.reordered;
        String err = s.conn.error == null ? "" : s.conn.error;
        errors += err.isEmpty() ? 0 : 1;
        say("  %-22s %-10s %10d %8d %8d %12d %s", s.name, s.conn.server, s.received, l, s.doubled, s.reordered, err);
      }
      say("  total                                %10d %8d %8d %12d", delivered, lost, doubled, reordered);
      if (steady && sent / Math.max(1e-9, (sendEnd - start) / 1e9) < 0.9 * rate) {
        say("  note: the publisher managed %.0f/s of the %d/s asked for", sent / ((sendEnd - start) / 1e9), rate);
      }
      return verdict(what, lost, doubled, reordered, (confirmed ? 0 : 1) + errors + (pub.error == null ? 0 : 1),
          String.format(Locale.ROOT, "all %d published messages reached all %d subscribers once, in order", sent, subs));
    } finally {
      if (pub != null) {
        pub.close();
      }
      for (Sub s : list) {
        s.conn.close();
      }
    }
  }

  /** As fast as the server reads: a PING after every window/2 messages, at most two unanswered. */
  void sendFlat(Conn c, String subject, Payload payload, int total, long end, long[] result) throws IOException {
    int batch = Math.max(1, window / 2);
    int i = 0;
    try {
      for (; i < total; i++) {
        if ((i & 255) == 0 && System.nanoTime() - end >= 0) {
          break;
        }
        payload.set(i, System.nanoTime());
        c.pub(subject, null, payload.bytes, 0, payload.bytes.length);
        if ((i + 1) % batch == 0) {
          long ping = c.ping();
          if (!c.awaitPong(ping - 1, CONFIRM_NANOS)) {
            throw new IOException("no PONG within 10 s");
          }
        }
      }
      c.flush();
    } finally {
      synchronized (result) {
        result[0] = i;
        result[1] = System.nanoTime();
      }
    }
  }

  /** On a fixed schedule; a message's time is its scheduled time. */
  void sendSteady(Conn c, String subject, Payload payload, int total, long start, long[] result) throws IOException {
    long maxLag = 0;
    int i = 0;
    try {
      while (i < total) {
        long due = start + (long) i * 1_000_000_000L / rate;
        long now = System.nanoTime();
        if (now - due < 0) {
          LockSupport.parkNanos(due - now);
          continue;
        }
        // send everything that is due, then flush once
        do {
          maxLag = Math.max(maxLag, now - due);
          payload.set(i, due);
          c.pub(subject, null, payload.bytes, 0, payload.bytes.length);
          i++;
          due = start + (long) i * 1_000_000_000L / rate;
        } while (i < total && now - due >= 0);
        c.flush();
      }
    } finally {
      synchronized (result) {
        result[0] = i;
        result[1] = System.nanoTime();
        result[2] = maxLag;
      }
    }
  }

  // ---------------------------------------------------------------- round trips

  int roundTrips() throws IOException {
    int total = (int) Math.min(count, (long) pingRate * seconds);
    say("Round trip: request on one server, reply from a client on another, one at a time, at most %d/s for %d s"
        + " (%d pings), %d-byte messages.", pingRate, seconds, total, size);
    String requests = "rtt." + tag;
    String inbox = "_INBOX.rtt." + tag;
    Semaphore answers = new Semaphore(0);
    Tracker atPong = new Tracker(total);
    Tracker atPing = new Tracker(total);
    long[] rtt = new long[total];
    int[] rttCount = new int[1];
    boolean[] warm = new boolean[1];
    Conn pong = null;
    Conn ping = null;
    try {
      pong = Conn.open(servers.get(1 % servers.size()), "pong." + tag, (c, sid, reply, buf, off, len) -> {
        if (len > 0 && buf[off] != 'W') {
          atPong.saw(parseField(buf, off, len, 1));
        }
        if (reply != null) {
          try {
            c.pub(reply, null, buf, off, len);
            c.flush();
          } catch (IOException e) {
            c.error = "reply failed: " + e;
          }
        }
      });
      pong.sub(requests, 1);
      pong.flushAndConfirm(CONFIRM_NANOS);
      ping = Conn.open(servers.get(0), "ping." + tag, (c, sid, reply, buf, off, len) -> {
        long now = System.nanoTime();
        if (len > 0 && buf[off] == 'W') {
          synchronized (warm) {
            warm[0] = true;
          }
          return;
        }
        atPing.saw(parseField(buf, off, len, 1));
        long sent = parseField(buf, off, len, 2);
        synchronized (rtt) {
          if (sent - measureFrom >= 0 && rttCount[0] < rtt.length) {
            rtt[rttCount[0]++] = now - sent;
          }
        }
        answers.release();
      });
      ping.sub(inbox, 1);
      ping.flushAndConfirm(CONFIRM_NANOS);
      long warmStart = System.nanoTime();
      byte[] w = ("W|" + tag + "|").getBytes(StandardCharsets.US_ASCII);
      while (true) {
        synchronized (warm) {
          if (warm[0]) {
            break;
          }
        }
        if (System.nanoTime() - warmStart > WARM_NANOS) {
          say("FAILED: no reply across the servers within %d s.", TimeUnit.NANOSECONDS.toSeconds(WARM_NANOS));
          return 3;
        }
        ping.pub(requests, inbox, w, 0, w.length);
        ping.flush();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // let late warm-up replies pass
      Payload payload = new Payload('P', size);
      long start = System.nanoTime();
      measureFrom = start + TimeUnit.SECONDS.toNanos(warmup);
      long end = start + TimeUnit.SECONDS.toNanos(seconds);
      long interval = TimeUnit.SECONDS.toNanos(1) / pingRate;
      int sent = 0;
      int timedOut = 0;
      long nextReport = start + TimeUnit.SECONDS.toNanos(1);
      for (int i = 0; i < total && System.nanoTime() - end < 0; i++) {
        long due = start + i * interval;
        long now;
        while ((now = System.nanoTime()) - due < 0) {
          LockSupport.parkNanos(due - now);
        }
        payload.set(i, System.nanoTime());
        ping.pub(requests, inbox, payload.bytes, 0, payload.bytes.length);
        ping.flush();
        sent++;
        try {
          if (!answers.tryAcquire(PONG_TIMEOUT_NANOS, TimeUnit.NANOSECONDS)) {
            timedOut++;
            say("  ping %d: no answer within %d s; stopping", i, TimeUnit.NANOSECONDS.toSeconds(PONG_TIMEOUT_NANOS));
            break;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        if (System.nanoTime() - nextReport >= 0) {
          say("  %2d s: %d round trips", Math.round((System.nanoTime() - start) / 1e9), atPing.received());
          nextReport += TimeUnit.SECONDS.toNanos(1);
        }
      }
      long sendEnd = System.nanoTime();
      String from = ping.server;
      String to = pong.server;
      ping.close();
      pong.close();
      long[] samples;
      synchronized (rtt) {
        samples = Arrays.copyOf(rtt, rttCount[0]);
      }
      long[] lp = atPong.count(sent);
      long[] lq = atPing.count(sent);
      say("");
      say("Round trip report (%s -> %s -> %s)", from, to, from);
      say("  round trips               %d of %d pings in %.3f s (%.1f/s)", lq[0], sent, (sendEnd - start) / 1e9,
          lq[0] / Math.max(1e-9, (sendEnd - start) / 1e9));
      say("  RTT (ms)                  %s%s", summary(samples), warmupNote());
      say("  pings at %-16s received %d, lost %d, doubled %d, out of order %d", "pong", lp[0], lp[1], lp[2], lp[3]);
      say("  pongs at %-16s received %d, lost %d, doubled %d, out of order %d", "ping", lq[0], lq[1], lq[2], lq[3]);
      long errs = (ping.error == null ? 0 : 1) + (pong.error == null ? 0 : 1) + timedOut;
      return verdict("round trip", lp[1] + lq[1], lp[2] + lq[2], lp[3] + lq[3], errs,
          String.format(Locale.ROOT, "all %d pings answered once, in order", sent));
    } finally {
      if (ping != null) {
        ping.close();
      }
      if (pong != null) {
        pong.close();
      }
    }
  }

  /** Sequence numbers seen: received, lost, doubled, out of order. */
  static final class Tracker {
    final BitSet seen;
    long received;
    long doubled;
    long reordered;
    long highest = -1;

    Tracker(int total) {
      seen = new BitSet(total);
    }

    synchronized void saw(long seq) {
      received++;
      if (seq < 0 || seq >= seen.size()) {
        return;
      }
      if (seen.get((int) seq)) {
        doubled++;
        return;
      }
      seen.set((int) seq);
      if (seq < highest) {
        reordered++;
      }
      highest = Math.max(highest, seq);
    }

    synchronized long received() {
      return received;
    }

    synchronized long[] count(int sent) {
      return new long[] {received, sent - seen.get(0, sent).cardinality(), doubled, reordered};
    }
  }

  // ---------------------------------------------------------------- reporting

  String warmupNote() {
    return warmup == 0 ? "" : ", sent in the first " + warmup + " s not counted";
  }

  int verdict(String what, long lost, long doubled, long reordered, long errors, String ok) {
    if (lost + doubled + reordered + errors == 0) {
      say("OK %s: %s.", what.toLowerCase(Locale.ROOT), ok);
      return 0;
    }
    say("FAILED %s: lost %d, doubled %d, out of order %d, errors %d.", what.toLowerCase(Locale.ROOT), lost, doubled,
        reordered, errors);
    return 1;
  }

  static long deliveries(List<Sub> list) {
    long n = 0;
    for (Sub s : list) {
      n += s.received;
    }
    return n;
  }

  /** Latencies of all subscribers (near null), of those on the publisher's server, or the others. */
  static String summary(List<Sub> list, Boolean near) {
    int n = 0;
    for (Sub s : list) {
      if (near == null || s.near == near) {
        n += s.samples;
      }
    }
    long[] all = new long[n];
    int at = 0;
    for (Sub s : list) {
      if (near == null || s.near == near) {
        System.arraycopy(s.latency, 0, all, at, s.samples);
        at += s.samples;
      }
    }
    return summary(all);
  }

  static String summary(long[] samples) {
    if (samples.length == 0) {
      return "no samples";
    }
    long[] sorted = samples.clone();
    Arrays.sort(sorted);
    return String.format(Locale.ROOT, "p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (%d samples)",
        percentile(sorted, 50) / 1e6, percentile(sorted, 99) / 1e6, percentile(sorted, 99.9) / 1e6,
        sorted[sorted.length - 1] / 1e6, sorted.length);
  }

  static long percentile(long[] sorted, double p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** Waits while deliveries keep coming: at most 10 s, giving up after 2 s without progress. */
  void drain(BooleanSupplier done, LongSupplier progress, Runnable report) {
    long start = System.nanoTime();
    long lastMove = start;
    long last = progress.getAsLong();
    long nextReport = start + TimeUnit.SECONDS.toNanos(1);
    while (!done.getAsBoolean()) {
      long now = System.nanoTime();
      if (now - start > DRAIN_MAX_NANOS) {
        say("  gave up waiting after 10 s: counting what has come");
        return;
      }
      if (now - lastMove > STALL_NANOS) {
        say("  nothing delivered for 2 s: counting what has come");
        return;
      }
      if (now - nextReport >= 0) {
        report.run();
        nextReport += TimeUnit.SECONDS.toNanos(1);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      long p = progress.getAsLong();
      if (p != last) {
        last = p;
        lastMove = System.nanoTime();
      }
    }
  }

  static void join(Thread t, long millis) {
    try {
      t.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  synchronized void say(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
    System.out.flush();
  }

  /** "K|seq|nanos|....": field 1 is seq, field 2 nanos; -1 if absent or not a number. */
  static long parseField(byte[] buf, int off, int len, int field) {
    int end = off + len;
    int i = off;
    for (int f = 0; f < field; f++) {
      while (i < end && buf[i] != '|') {
        i++;
      }
      i++;
    }
    if (i >= end) {
      return -1;
    }
    boolean negative = buf[i] == '-';
    if (negative) {
      i++;
    }
    long v = 0;
    int digits = 0;
    while (i < end && buf[i] >= '0' && buf[i] <= '9' && digits < 19) {
      v = v * 10 + (buf[i++] - '0');
      digits++;
    }
    if (digits == 0) {
      return -1;
    }
    return negative ? -v : v;
  }

  /** A reusable message text: kind, sequence number and a time, padded with dots. */
  static final class Payload {
    final byte[] bytes;
    final char kind;

    Payload(char kind, int size) {
      this.kind = kind;
      this.bytes = new byte[size];
    }

    void set(long seq, long nanos) {
      int at = 0;
      bytes[at++] = (byte) kind;
      bytes[at++] = '|';
      at = digits(seq, at);
      bytes[at++] = '|';
      at = digits(nanos, at);
      bytes[at++] = '|';
      Arrays.fill(bytes, at, bytes.length, (byte) '.');
    }

    private int digits(long v, int at) {
      if (v < 0) {
        bytes[at++] = '-';
        v = -v;
      }
      String s = Long.toString(v);
      for (int k = 0; k < s.length(); k++) {
        bytes[at++] = (byte) s.charAt(k);
      }
      return at;
    }
  }

  // ---------------------------------------------------------------- the NATS client

  interface Handler {
    /** A MSG: payload is buf[off, off + len); called on the connection's reader thread. */
    void onMsg(Conn c, int sid, String reply, byte[] buf, int off, int len);
  }

  /**
   * One client connection: the caller writes (PUB, SUB, PING) through a buffered stream; one
   * reader thread parses what the server sends, across partial reads, and answers its PINGs.
   */
  static final class Conn implements Closeable {
    static final int MAX_CONTROL_LINE = 4096;
    static final int MAX_BUFFER = 16 * 1024 * 1024;
    static final Pattern SERVER_NAME = Pattern.compile("\"server_name\":\"([^\"]*)\"");
    static final Pattern VERSION = Pattern.compile("\"version\":\"([^\"]*)\"");

    final Socket socket;
    final InputStream in;
    final OutputStream out;
    final String name;
    final Handler handler;
    final AtomicLong published = new AtomicLong();
    final Object pongLock = new Object();
    long pings; // PINGs sent (guarded by out)
    long pongs; // PONGs received (guarded by pongLock)
    String server = "?";
    String version = "?";
    volatile String error;
    volatile boolean closed;
    Thread reader;
    String headSubject; // the last PUB header, reused while subject, reply and size stay (guarded by out)
    String headReply;
    int headLen = -1;
    byte[] headBytes;
    byte[] buf = new byte[64 * 1024];
    int start;
    int end;

    private Conn(Socket socket, String name, Handler handler) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
      this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
      this.name = name;
      this.handler = handler;
    }

    static Conn open(InetSocketAddress at, String name, Handler handler) throws IOException {
      Socket s = new Socket();
      s.setTcpNoDelay(true);
      s.connect(at, 2000);
      s.setSoTimeout(5000);
      Conn c = new Conn(s, name, handler);
      try {
        String info = c.readLine();
        if (!info.startsWith("INFO ")) {
          throw new IOException(at + " did not start with INFO: " + info);
        }
        Matcher m = SERVER_NAME.matcher(info);
        c.server = m.find() ? m.group(1) : at.toString();
        Matcher v = VERSION.matcher(info);
        c.version = v.find() ? v.group(1) : "?";
        s.setSoTimeout(0);
        c.write(("CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":false,\"name\":\"" + name
            + "\",\"lang\":\"java-jdk\",\"version\":\"0.1\",\"protocol\":1,\"echo\":false}\r\n"));
        c.reader = new Thread(c::readLoop, "nats-" + name);
        c.reader.setDaemon(true);
        c.reader.start();
        c.flushAndConfirm(CONFIRM_NANOS);
        return c;
      } catch (IOException | RuntimeException e) {
        c.close();
        throw e;
      }
    }

    /** Before the reader starts: the INFO line, however many reads it takes. */
    String readLine() throws IOException {
      while (true) {
        int crlf = indexOfCrlf(start, end);
        if (crlf >= 0) {
          String line = new String(buf, start, crlf - start, StandardCharsets.US_ASCII);
          start = crlf + 2;
          return line;
        }
        if (!fill(MAX_BUFFER)) {
          throw new IOException("connection closed before INFO");
        }
      }
    }

    void sub(String subject, int sid) throws IOException {
      write("SUB " + subject + " " + sid + "\r\n");
    }

    void pub(String subject, String reply, byte[] payload, int off, int len) throws IOException {
      synchronized (out) {
        if (!subject.equals(headSubject) || !java.util.Objects.equals(reply, headReply) || len != headLen) {
          String head = "PUB " + subject + (reply == null ? "" : " " + reply) + " " + len + "\r\n";
          headBytes = head.getBytes(StandardCharsets.US_ASCII);
          headSubject = subject;
          headReply = reply;
          headLen = len;
        }
        out.write(headBytes);
        out.write(payload, off, len);
        out.write('\r');
        out.write('\n');
      }
      published.incrementAndGet();
    }

    void write(String line) throws IOException {
      synchronized (out) {
        out.write(line.getBytes(StandardCharsets.US_ASCII));
      }
    }

    void flush() throws IOException {
      synchronized (out) {
        out.flush();
      }
    }

    /** Sends a PING and flushes; returns its number (1, 2, ...). */
    long ping() throws IOException {
      synchronized (out) {
        out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return ++pings;
      }
    }

    /** Waits until the n-th PONG (answers come in order), at most the timeout; false if not. */
    boolean awaitPong(long n, long timeoutNanos) throws IOException {
      long deadline = System.nanoTime() + timeoutNanos;
      synchronized (pongLock) {
        while (pongs < n) {
          if (error != null) {
            throw new IOException(name + ": " + error);
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return false;
          }
          try {
            TimeUnit.NANOSECONDS.timedWait(pongLock, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        }
        return true;
      }
    }

    void flushAndConfirm(long timeoutNanos) throws IOException {
      if (!awaitPong(ping(), timeoutNanos)) {
        throw new IOException(name + ": no PONG from " + server + " within " + timeoutNanos / 1_000_000 + " ms");
      }
    }

    boolean flushAndConfirmQuietly(long timeoutNanos) {
      try {
        return awaitPong(ping(), timeoutNanos);
      } catch (IOException e) {
        return false;
      }
    }

    void readLoop() {
      try {
        while (!closed) {
          int crlf = indexOfCrlf(start, end);
          if (crlf < 0) {
            if (end - start > MAX_CONTROL_LINE) {
              throw new IOException("control line longer than " + MAX_CONTROL_LINE + " bytes");
            }
            if (!fill(MAX_BUFFER)) {
              break;
            }
            continue;
          }
          int b0 = buf[start] | 0x20; // lower case; operation names are case-insensitive
          if (b0 == 'm' && crlf - start > 4 && (buf[start + 1] | 0x20) == 's' && (buf[start + 2] | 0x20) == 'g'
              && (buf[start + 3] == ' ' || buf[start + 3] == '\t')) {
            if (!onMsgLine(crlf)) {
              if (!fill(MAX_BUFFER)) {
                break;
              }
            }
          } else {
            String line = new String(buf, start, crlf - start, StandardCharsets.US_ASCII);
            start = crlf + 2;
            String op = line.trim().toUpperCase(Locale.ROOT);
            if (op.equals("PING")) {
              synchronized (out) {
                out.write("PONG\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
              }
            } else if (op.equals("PONG")) {
              synchronized (pongLock) {
                pongs++;
                pongLock.notifyAll();
              }
            } else if (op.startsWith("-ERR")) {
              error = line.trim();
            } else if (!op.startsWith("+OK") && !op.startsWith("INFO")) {
              throw new IOException("unexpected from server: " + line);
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        if (!closed && error == null) {
          error = e.toString();
        }
      } finally {
        if (!closed && error == null) {
          error = "connection closed by the server";
        }
        synchronized (pongLock) {
          pongLock.notifyAll();
        }
      }
    }

    /**
     * MSG subject sid [reply-to] #bytes; false if the payload has not all arrived yet (the line is
     * parsed again after the next read).
     */
    private boolean onMsgLine(int crlf) throws IOException {
      int[] from = new int[5];
      int[] to = new int[5];
      int n = 0;
      int i = start;
      while (i < crlf) {
        while (i < crlf && (buf[i] == ' ' || buf[i] == '\t')) {
          i++;
        }
        if (i >= crlf) {
          break;
        }
        if (n == 5) {
          throw new IOException("MSG line with too many fields");
        }
        from[n] = i;
        while (i < crlf && buf[i] != ' ' && buf[i] != '\t') {
          i++;
        }
        to[n++] = i;
      }
      if (n != 4 && n != 5) {
        throw new IOException("bad MSG line: " + new String(buf, start, crlf - start, StandardCharsets.US_ASCII));
      }
      long size = number(from[n - 1], to[n - 1]);
      long sid = number(from[2], to[2]);
      if (size < 0 || size > MAX_BUFFER / 2 || sid < 0) {
        throw new IOException("bad MSG line: " + new String(buf, start, crlf - start, StandardCharsets.US_ASCII));
      }
      int payload = crlf + 2;
      if (payload + size + 2 > end) {
        return false; // wait for the rest
      }
      if (buf[payload + (int) size] != '\r' || buf[payload + (int) size + 1] != '\n') {
        throw new IOException("MSG payload not followed by CRLF");
      }
      String reply = n == 5 ? new String(buf, from[3], to[3] - from[3], StandardCharsets.US_ASCII) : null;
      int next = payload + (int) size + 2;
      if (handler != null) {
        handler.onMsg(this, (int) sid, reply, buf, payload, (int) size);
      }
      start = next;
      return true;
    }

    private long number(int from, int to) {
      if (from >= to || to - from > 18) {
        return -1;
      }
      long v = 0;
      for (int i = from; i < to; i++) {
        if (buf[i] < '0' || buf[i] > '9') {
          return -1;
        }
        v = v * 10 + (buf[i] - '0');
      }
      return v;
    }

    private int indexOfCrlf(int from, int to) {
      for (int i = from; i + 1 < to; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n') {
          return i;
        }
      }
      return -1;
    }

    /** One read into the buffer: compacts first, grows it (up to max) when full; false at EOF. */
    private boolean fill(int max) throws IOException {
      if (start == end) {
        start = 0;
        end = 0;
      } else if (end == buf.length && start > 0) {
        System.arraycopy(buf, start, buf, 0, end - start);
        end -= start;
        start = 0;
      } else if (end == buf.length) {
        if (buf.length >= max) {
          throw new IOException("message larger than " + max + " bytes");
        }
        buf = Arrays.copyOf(buf, Math.min(max, buf.length * 2));
      }
      int r = in.read(buf, end, buf.length - end);
      if (r < 0) {
        return false;
      }
      end += r;
      return true;
    }

    @Override
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
      if (reader != null && reader != Thread.currentThread()) {
        join(reader, 2000);
      }
    }
  }
}
