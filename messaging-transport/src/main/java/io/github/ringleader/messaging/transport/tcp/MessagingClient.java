package io.github.ringleader.messaging.transport.tcp;

import io.github.ringleader.messaging.client.ClientRequest;
import io.github.ringleader.messaging.client.ClientSession;
import io.github.ringleader.messaging.client.ServerEvent;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.protocol.CodecException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of a Ringleader cluster over TCP: a {@link ClientSession} on a plain blocking socket,
 * with one reader thread (a daemon) that decodes the server's frames and calls the listener.
 *
 * <p><b>Blocking use.</b> {@link #connect} blocks until the server welcomes the client, and
 * throws if it refuses or does not answer in time; the send methods write one frame and return
 * the message's number without waiting for its answer:
 *
 * <pre>{@code
 * try (MessagingClient alice =
 *     MessagingClient.connect("localhost", 5001, "alice", new ClientSession.Listener() {},
 *         Duration.ofSeconds(5))) {
 *   alice.send("Hello everyone!");        // broadcast
 *   alice.send("bob", "Hi Bob");          // private
 * } catch (JoinRefusedException e) {
 *   // e.code() == NAME_TAKEN, e.reason(), e.redirect() when the server is full
 * }
 * }</pre>
 *
 * <p><b>Listener use.</b> Everything the server says arrives at the {@link
 * ClientSession.Listener}, on the reader thread, in the order the server sent it: messages,
 * presence, the answer to each send (by number), the user list, and {@code onClosed} once at the
 * end (with the server's reason, or null when the connection broke). A listener must be quick,
 * since it holds up the frames behind it; it may call {@link #send} (no lock is held while it
 * runs):
 *
 * <pre>{@code
 * ClientSession.Listener echo = new ClientSession.Listener() {
 *   public void onMessage(ServerEvent.Message m) { System.out.println(m.from() + ": " + m.text()); }
 *   public void onRejected(ServerEvent.Rejected r) { System.err.println(r.seq() + ": " + r.reason()); }
 *   public void onClosed(String reason) { System.out.println("closed: " + reason); }
 * };
 * }</pre>
 *
 * <p><b>Threads.</b> All methods are thread-safe; sends from several threads are written whole and
 * numbered in the order they are written, as the server requires.
 */
public final class MessagingClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MessagingClient.class);

  /** How long {@link #close()} waits for the server's goodbye before closing the socket. */
  private static final Duration GOODBYE_WAIT = Duration.ofSeconds(1);

  private final Socket socket;
  private final OutputStream out;
  private final String name;
  private final ClientSession.Listener listener;
  private final Thread reader;

  /** Taken first by writers, so frames go out whole and in the order they were numbered. */
  private final ReentrantLock writeLock = new ReentrantLock();

  /** Guards the session; never held while the listener runs or while writing to the socket. */
  private final Object sessionLock = new Object();

  private final ClientSession session;
  /** What the session asked to send while sessionLock was held. */
  private final List<byte[]> toWrite = new ArrayList<>();
  /** Listener calls the session made while sessionLock was held, run after it is released. */
  private final List<Runnable> toNotify = new ArrayList<>();

  private final CompletableFuture<ServerEvent.Welcome> welcome = new CompletableFuture<>();
  private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);

  private MessagingClient(Socket socket, String name, ClientSession.Listener listener)
      throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.name = name;
    this.listener = listener;
    this.session = new ClientSession(this::collect, new Relay());
    this.reader = new Thread(this::readLoop, "ringleader-client-" + name);
    reader.setDaemon(true);
  }

  /**
   * Connects to the server at {@code host:port} and joins as {@code name}, waiting up to {@code
   * timeout} in all (connecting and the server's answer).
   *
   * @throws JoinRefusedException if the server refused the name (code, reason and redirect inside)
   * @throws SocketTimeoutException if the server did not answer in time
   * @throws IOException if the connection failed or closed before the answer
   * @throws IllegalArgumentException if {@code name} breaks the naming rules (it never leaves this
   *     process)
   */
  public static MessagingClient connect(
      String host, int port, String name, ClientSession.Listener listener, Duration timeout)
      throws IOException {
    Objects.requireNonNull(listener, "listener");
    ClientCodec.encodeRequest(new ClientRequest.Hello(name)); // checks the name
    long deadline = System.nanoTime() + timeout.toNanos();
    Socket socket = new Socket();
    MessagingClient client;
    try {
      socket.setTcpNoDelay(true);
      socket.connect(
          new InetSocketAddress(host, port), (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
      client = new MessagingClient(socket, name, listener);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
    client.reader.start();
    try {
      client.hello();
      long left = deadline - System.nanoTime();
      client.welcome.get(Math.max(0, left), TimeUnit.NANOSECONDS);
      return client;
    } catch (TimeoutException e) {
      client.abort();
      throw new SocketTimeoutException(
          "no answer to joining as \"" + name + "\" from " + host + ":" + port + " within "
              + timeout);
    } catch (ExecutionException e) {
      client.abort();
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("joining as \"" + name + "\" failed", cause);
    } catch (InterruptedException e) {
      client.abort();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while joining as \"" + name + "\"", e);
    } catch (IOException | RuntimeException e) {
      client.abort();
      throw e;
    }
  }

  /** The welcome the server sent: the name, the session id and the server. */
  public ServerEvent.Welcome welcome() {
    return welcome.join();
  }

  public String name() {
    return name;
  }

  /** Whether the session is over (the server said goodbye, or the connection broke). */
  public boolean isClosed() {
    return closed.getCount() == 0;
  }

  /**
   * Sends {@code text} to everyone (the sender receives it too, in its place in the order).
   *
   * @return the message's number, echoed in {@code onAccepted} or {@code onRejected}
   * @throws IllegalArgumentException if the text is over 4,096 bytes of UTF-8 or not encodable
   * @throws IllegalStateException if the session is closed
   * @throws IOException if writing to the socket failed
   */
  public long send(String text) throws IOException {
    return send(null, text);
  }

  /**
   * Sends {@code text} to the client named {@code to}, or to everyone when {@code to} is null.
   *
   * @return the message's number
   * @throws IllegalArgumentException if {@code to} is not a valid name or the text is too long
   */
  public long send(@Nullable String to, String text) throws IOException {
    ClientCodec.encodeRequest(new ClientRequest.Send(1, to, text)); // checks before numbering
    writeLock.lock();
    try {
      long seq;
      byte[] frame;
      synchronized (sessionLock) {
        seq = session.send(to, text);
        frame = takeFrame();
      }
      write(frame);
      return seq;
    } finally {
      writeLock.unlock();
    }
  }

  /** Asks who is connected; the answer arrives at {@code onUsers}. */
  public void listUsers() throws IOException {
    writeLock.lock();
    try {
      byte[] frame;
      synchronized (sessionLock) {
        session.listUsers();
        frame = takeFrame();
      }
      write(frame);
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Says goodbye, waits briefly (up to a second) for the server's answer, and closes the
   * connection. Safe to call more than once.
   */
  @Override
  public void close() {
    if (closed.getCount() > 0 && !socket.isClosed()) {
      writeLock.lock();
      try {
        byte[] frame;
        synchronized (sessionLock) {
          session.bye();
          frame = toWrite.isEmpty() ? null : takeFrame();
        }
        if (frame != null) {
          write(frame);
        }
      } catch (IOException e) {
        log.debug("{}: sending goodbye failed: {}", name, e.toString());
      } finally {
        writeLock.unlock();
      }
      try {
        if (Thread.currentThread() != reader
            && !closed.await(GOODBYE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
          log.debug("{}: no goodbye from the server", name);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    abort();
  }

  /** Closes the socket without a goodbye; the reader thread ends and reports the close. */
  private void abort() {
    try {
      socket.close();
    } catch (IOException e) {
      log.debug("{}: closing the socket failed", name, e);
    }
    if (Thread.currentThread() != reader) {
      try {
        reader.join(GOODBYE_WAIT.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void hello() throws IOException {
    writeLock.lock();
    try {
      byte[] frame;
      synchronized (sessionLock) {
        session.hello(name);
        frame = takeFrame();
      }
      write(frame);
    } finally {
      writeLock.unlock();
    }
  }

  /** The session's way out: called with sessionLock held, so it only collects. */
  private void collect(ClientRequest request) {
    toWrite.add(ClientCodec.encodeRequest(request));
  }

  private byte[] takeFrame() {
    if (toWrite.size() != 1) {
      throw new AssertionError("expected one frame, the session produced " + toWrite.size());
    }
    return toWrite.remove(0);
  }

  private void write(byte[] frame) throws IOException {
    out.write(frame);
    out.flush();
  }

  // ---------------------------------------------------------------- the reader thread

  private void readLoop() {
    byte[] prefix = new byte[ClientCodec.LENGTH_PREFIX_BYTES];
    try (InputStream raw = socket.getInputStream()) {
      DataInputStream in = new DataInputStream(raw);
      while (true) {
        in.readFully(prefix);
        int length = ClientCodec.frameLength(prefix, 0, prefix.length);
        byte[] frame = new byte[length];
        System.arraycopy(prefix, 0, frame, 0, prefix.length);
        in.readFully(frame, prefix.length, length - prefix.length);
        ServerEvent event = ClientCodec.decodeEvent(frame);
        synchronized (sessionLock) {
          session.onEvent(event);
        }
        notifyListener();
        synchronized (sessionLock) {
          if (session.state() == ClientSession.State.CLOSED) {
            break;
          }
        }
      }
    } catch (EOFException e) {
      log.debug("{}: the server closed the connection", name);
    } catch (IOException e) {
      if (!socket.isClosed()) {
        log.debug("{}: connection broke: {}", name, e.toString());
      }
    } catch (CodecException e) {
      log.warn("{}: the server sent a malformed frame ({}); disconnecting", name, e.getMessage());
    } finally {
      synchronized (sessionLock) {
        session.onDisconnected();
      }
      notifyListener();
      welcome.completeExceptionally(
          new IOException("the connection closed before the server welcomed \"" + name + "\""));
      closed.countDown();
      try {
        socket.close();
      } catch (IOException e) {
        log.debug("{}: closing the socket failed", name, e);
      }
    }
  }

  private void notifyListener() {
    List<Runnable> calls;
    synchronized (sessionLock) {
      if (toNotify.isEmpty()) {
        return;
      }
      calls = new ArrayList<>(toNotify);
      toNotify.clear();
    }
    for (Runnable call : calls) {
      try {
        call.run();
      } catch (RuntimeException e) {
        log.error("{}: the listener threw", name, e);
      }
    }
  }

  /** Records the session's listener calls (sessionLock is held) and settles the futures. */
  private final class Relay implements ClientSession.Listener {
    @Override
    public void onWelcome(ServerEvent.Welcome w) {
      welcome.complete(w);
      toNotify.add(() -> listener.onWelcome(w));
    }

    @Override
    public void onRefused(ServerEvent.Refused refused) {
      if (refused.code() != ServerEvent.Reason.PROTOCOL_ERROR) {
        welcome.completeExceptionally(new JoinRefusedException(name, refused));
      }
      toNotify.add(() -> listener.onRefused(refused));
    }

    @Override
    public void onAccepted(long seq) {
      toNotify.add(() -> listener.onAccepted(seq));
    }

    @Override
    public void onRejected(ServerEvent.Rejected rejected) {
      toNotify.add(() -> listener.onRejected(rejected));
    }

    @Override
    public void onMessage(ServerEvent.Message message) {
      toNotify.add(() -> listener.onMessage(message));
    }

    @Override
    public void onPresence(ServerEvent.Presence presence) {
      toNotify.add(() -> listener.onPresence(presence));
    }

    @Override
    public void onUsers(ServerEvent.Users users) {
      toNotify.add(() -> listener.onUsers(users));
    }

    @Override
    public void onClosed(@Nullable String reason) {
      welcome.completeExceptionally(
          new IOException(
              "the server ended the session before welcoming \"" + name + "\": " + reason));
      toNotify.add(() -> listener.onClosed(reason));
    }
  }
}
