package io.github.ringleader.messaging.transport.tcp;

import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientLink;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not a test (it asserts nothing, and its name keeps it out of the build's test
 * run): how long a quiet client's send takes, and how many flooders' sends the node accepts
 * between the quiet client's write and its acceptance, while other clients flood one server over
 * loopback at full speed. The counts in docs/security.md ("Fair turns across clients") come from
 * it. Run it on its own:
 *
 * <pre>
 * mvn -B -q -o -pl messaging-transport -am -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dtest=FairnessProbe -DargLine="-Dprobe.flooders=16 -Dprobe.budget=1024" test
 * </pre>
 *
 * Settings: {@code probe.flooders} (default 4), {@code probe.budget} ({@link
 * TcpServerConfig#maxInFlightSendsAllClients()}, 0 = first come first served), {@code
 * probe.samples} (default 300), {@code probe.list} (flood with ListUsers instead of sends). The
 * flood stops after the samples, or after 60 s, whichever is first.
 */
class FairnessProbe {
  private static final int FLOODERS = Integer.getInteger("probe.flooders", 4);
  private static final int BUDGET = Integer.getInteger("probe.budget", 1024);
  private static final int SAMPLES = Integer.getInteger("probe.samples", 300);
  private static final boolean LIST = Boolean.getBoolean("probe.list");
  private static final long FLOOD_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(60);

  /** Flooders' sends the node has accepted, counted where the node answers them. */
  private final AtomicLong floodAccepted = new AtomicLong();
  /** {@link #floodAccepted} when the node accepted the quiet client's latest send. */
  private final AtomicLong floodAcceptedAtQuiet = new AtomicLong();

  @Test
  void measure() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    List<Socket> sockets = new ArrayList<>();
    try (LoopbackCluster cluster = LoopbackCluster.builder(
                "probe-" + ProcessHandle.current().pid())
            .servers(1)
            .start();
        TcpClientServer server = countingServer(cluster)) {
      long floodEnds = System.nanoTime() + FLOOD_LIMIT_NANOS;
      for (int f = 1; f <= FLOODERS; f++) {
        Socket socket = connect(server.localPort());
        sockets.add(socket);
        DataInputStream in = hello(socket, "flood" + f);
        start(() -> drain(in));
        String name = "flood" + f;
        start(() -> flood(socket, name, stop, floodEnds));
      }
      Socket quiet = connect(server.localPort());
      sockets.add(quiet);
      DataInputStream in = hello(quiet, "quiet");
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2)); // the flood reaches its steady state

      long[] latencyNanos = new long[SAMPLES];
      long[] floodBefore = new long[SAMPLES];
      for (int i = 0; i < SAMPLES && System.nanoTime() - floodEnds < 0; i++) {
        long seq = i + 1;
        long before = floodAccepted.get();
        long sentAt = System.nanoTime();
        quiet
            .getOutputStream()
            .write(ClientCodec.encodeRequest(new ClientRequest.Send(seq, "quiet", "q")));
        ServerEvent event;
        do {
          event = read(in); // the socket's read timeout bounds this
        } while (!(event instanceof ServerEvent.Accepted a && a.seq() == seq));
        latencyNanos[i] = System.nanoTime() - sentAt;
        floodBefore[i] = floodAcceptedAtQuiet.get() - before;
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
      Arrays.sort(latencyNanos);
      Arrays.sort(floodBefore);
      System.out.printf(
          Locale.ROOT,
          "PROBE flooders=%d budget=%d %s: flooders' sends accepted before the quiet one's"
              + " p50 %d p99 %d max %d; quiet latency ms p50 %.1f p99 %.1f max %.1f; %s%n",
          FLOODERS,
          BUDGET,
          LIST ? "ListUsers flood" : "send flood",
          floodBefore[SAMPLES / 2],
          floodBefore[SAMPLES * 99 / 100],
          floodBefore[SAMPLES - 1],
          latencyNanos[SAMPLES / 2] / 1e6,
          latencyNanos[SAMPLES * 99 / 100] / 1e6,
          latencyNanos[SAMPLES - 1] / 1e6,
          server.stats());
    } finally {
      stop.set(true);
      for (Socket socket : sockets) {
        socket.close();
      }
    }
  }

  /** A listener on server1's node that counts, as the node answers them, whose sends it took. */
  private TcpClientServer countingServer(LoopbackCluster cluster) throws IOException {
    TcpClientServer.ClientAcceptor node = TcpClientServer.ClientAcceptor.of(cluster.node(0));
    return TcpClientServer.start(
        TcpServerConfig.builder()
            .host("127.0.0.1")
            .port(0)
            .maxInFlightSendsAllClients(BUDGET)
            .build(),
        link -> node.connect(new ClientLink() {
          private volatile boolean quiet;

          @Override
          public void send(ServerEvent event) {
            if (event instanceof ServerEvent.Welcome welcome) {
              quiet = welcome.name().equals("quiet");
            } else if (event instanceof ServerEvent.Accepted) {
              if (quiet) {
                floodAcceptedAtQuiet.set(floodAccepted.get());
              } else {
                floodAccepted.incrementAndGet();
              }
            }
            link.send(event);
          }

          @Override
          public void close() {
            link.close();
          }
        }));
  }

  private static void start(Runnable task) {
    Thread thread = new Thread(task, "probe");
    thread.setDaemon(true);
    thread.start();
  }

  /** Writes sends (or ListUsers) to itself, 64 at a time, until told to stop or time is up. */
  private static void flood(Socket socket, String name, AtomicBoolean stop, long endsAt) {
    try {
      OutputStream out = socket.getOutputStream();
      for (long seq = 1; !stop.get() && System.nanoTime() - endsAt < 0 && seq < 50_000_000; ) {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        for (int i = 0; i < 64; i++, seq++) {
          ClientRequest request =
              LIST ? new ClientRequest.ListUsers() : new ClientRequest.Send(seq, name, "f");
          batch.write(ClientCodec.encodeRequest(request));
        }
        out.write(batch.toByteArray());
      }
    } catch (IOException e) {
      // closed at the end
    }
  }

  /** Reads and drops what the server sends a flooder, so it is never a slow reader. */
  private static void drain(DataInputStream in) {
    try {
      while (!(read(in) instanceof ServerEvent.Goodbye)) {
        // drop it
      }
    } catch (IOException | CodecException e) {
      // closed at the end
    }
  }

  private static Socket connect(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    socket.setSoTimeout(20_000);
    socket.setTcpNoDelay(true);
    return socket;
  }

  private static DataInputStream hello(Socket socket, String name)
      throws IOException, CodecException {
    socket.getOutputStream().write(ClientCodec.encodeRequest(new ClientRequest.Hello(name)));
    DataInputStream in =
        new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
    while (!(read(in) instanceof ServerEvent.Welcome)) {
      // skip what comes before the welcome
    }
    return in;
  }

  private static ServerEvent read(DataInputStream in) throws IOException, CodecException {
    byte[] prefix = new byte[ClientCodec.LENGTH_PREFIX_BYTES];
    in.readFully(prefix);
    int length = ClientCodec.frameLength(prefix, 0, prefix.length);
    byte[] frame = Arrays.copyOf(prefix, length);
    in.readFully(frame, prefix.length, length - prefix.length);
    return ClientCodec.decodeEvent(frame);
  }
}
