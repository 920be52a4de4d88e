package io.github.ringleader.messaging.transport.tcp;

import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/** Shared by the TCP tests: bounded waiting, a recording listener, raw-socket helpers. */
final class TcpTestSupport {
  static final Duration WAIT = Duration.ofSeconds(10);

  private TcpTestSupport() {}

  /** Polls {@code condition} until it holds or {@code timeout} passes; fails otherwise. */
  static void await(Duration timeout, Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError("timed out after " + timeout + " waiting until " + what.get());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  static void await(Supplier<String> what, BooleanSupplier condition) {
    await(WAIT, what, condition);
  }

  /** A nanosecond clock that moves only when a test advances it; safe to read from any thread. */
  static final class ManualClock implements LongSupplier {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long getAsLong() {
      return nanos.get();
    }

    void advance(Duration by) {
      nanos.addAndGet(by.toNanos());
    }
  }

  /** Reads one event off a raw socket (which must have a read timeout, so this is bounded). */
  static ServerEvent readOne(Socket socket) throws IOException {
    DataInputStream in = new DataInputStream(socket.getInputStream());
    byte[] prefix = new byte[ClientCodec.LENGTH_PREFIX_BYTES];
    in.readFully(prefix);
    try {
      int length = ClientCodec.frameLength(prefix, 0, prefix.length);
      byte[] frame = Arrays.copyOf(prefix, length);
      in.readFully(frame, prefix.length, length - prefix.length);
      return ClientCodec.decodeEvent(frame);
    } catch (CodecException e) {
      throw new AssertionError("the server sent a malformed frame: " + e.getMessage());
    }
  }

  /** Records every listener call. */
  static class Recorder implements ClientSession.Listener {
    final List<ServerEvent.Message> messages = new CopyOnWriteArrayList<>();
    final List<Long> accepted = new CopyOnWriteArrayList<>();
    final List<ServerEvent.Rejected> rejected = new CopyOnWriteArrayList<>();
    final List<ServerEvent.Presence> presences = new CopyOnWriteArrayList<>();
    final List<ServerEvent.Users> users = new CopyOnWriteArrayList<>();
    final List<String> closed = new CopyOnWriteArrayList<>();

    @Override
    public void onMessage(ServerEvent.Message message) {
      messages.add(message);
    }

    @Override
    public void onAccepted(long seq) {
      accepted.add(seq);
    }

    @Override
    public void onRejected(ServerEvent.Rejected r) {
      rejected.add(r);
    }

    @Override
    public void onPresence(ServerEvent.Presence presence) {
      presences.add(presence);
    }

    @Override
    public void onUsers(ServerEvent.Users u) {
      users.add(u);
    }

    @Override
    public void onClosed(@Nullable String reason) {
      closed.add(String.valueOf(reason));
    }

    boolean hasText(String text) {
      return messages.stream().anyMatch(m -> m.text().equals(text));
    }
  }

  /**
   * Reads events off a raw socket until it ends; returns them. The socket must have a read timeout
   * set, so this is bounded.
   */
  static List<ServerEvent> readUntilClosed(Socket socket) throws IOException {
    List<ServerEvent> events = new CopyOnWriteArrayList<>();
    DataInputStream in = new DataInputStream(socket.getInputStream());
    byte[] prefix = new byte[4];
    try {
      while (true) {
        in.readFully(prefix);
        int length = ClientCodec.frameLength(prefix, 0, 4);
        byte[] frame = new byte[length];
        System.arraycopy(prefix, 0, frame, 0, 4);
        in.readFully(frame, 4, length - 4);
        events.add(ClientCodec.decodeEvent(frame));
      }
    } catch (EOFException e) {
      return events;
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server did not close the connection; read so far: " + events);
    } catch (CodecException e) {
      throw new AssertionError("the server sent a malformed frame: " + e.getMessage());
    } catch (IOException e) {
      return events; // reset after the goodbye also counts as closed
    }
  }
}
