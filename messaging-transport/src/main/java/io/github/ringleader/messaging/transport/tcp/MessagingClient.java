package io.github.ringleader.messaging.transport.tcp;

import io.github.ringleader.messaging.client.ClientRequest;
import io.github.ringleader.messaging.client.ClientSession;
import io.github.ringleader.messaging.client.ServerEvent;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.protocol.CodecException;
import io.github.ringleader.messaging.protocol.NodeId;
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
import java.util.Optional;
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

  private volatile ServerEvent.Servers servers;
  private final InetSocketAddress address;

  private MessagingClient(
      Socket socket,
      String name,
      ClientSession.Listener listener,
      ServerEvent.Servers servers,
      InetSocketAddress address)
      throws IOException {
    this.socket = socket;
    this.servers = servers;
    this.address = address;
    this.out = socket.getOutputStream();
    this.name = name;
    this.listener = listener;
    this.session = new ClientSession(this::collect, new Relay());
    this.reader = new Thread(this::readLoop, "ringleader-client-" + name);
    reader.setDaemon(true);
  }

  /**
   * Connects to the server at {@code host:port} and joins there as {@code name}, waiting up to
   * {@code timeout} in all (connecting and the server's answer). It stays on that server even if
   * another has more room; {@link #builder()} offers a list of addresses and balancing.
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
    return builder()
        .address(host, port)
        .name(name)
        .listener(listener)
        .timeout(timeout)
        .balance(false)
        .connect();
  }

  /** Starts building a client: addresses, name, listener, balancing, timeout. */
  public static Builder builder() {
    return new Builder();
  }

  /** Settings for {@link #connect()}; {@code name} is required, so is at least one address. */
  public static final class Builder {
    private final List<InetSocketAddress> addresses = new ArrayList<>();
    private @Nullable String name;
    private ClientSession.Listener listener = new ClientSession.Listener() {};
    private Duration timeout = Duration.ofSeconds(5);
    private boolean balance = true;

    private Builder() {}

    /** A server to try, in the order given; the first that answers tells of the others. */
    public Builder address(String host, int port) {
      if (port < 1 || port > 65_535) {
        throw new IllegalArgumentException("port must be in 1..65535, was " + port);
      }
      addresses.add(InetSocketAddress.createUnresolved(Objects.requireNonNull(host, "host"), port));
      return this;
    }

    /** The name to join as: 1-32 letters, digits, '.', '_' or '-', unique in the cluster. */
    public Builder name(String name) {
      ClientCodec.encodeRequest(new ClientRequest.Hello(Objects.requireNonNull(name, "name")));
      this.name = name;
      return this;
    }

    /** Receives what the server says, on the client's reader thread (default: ignores it). */
    public Builder listener(ClientSession.Listener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** How long connecting may take in all, the server's welcome included (default 5 s). */
    public Builder timeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be > 0, was " + timeout);
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * Whether to join the least-loaded server rather than the first that answers (default true).
     * The client asks the first server for the list of servers and their loads, and moves once
     * if another has a lower load ({@code clients / capacity}); a full server's redirect is
     * followed either way.
     */
    public Builder balance(boolean balance) {
      this.balance = balance;
      return this;
    }

    /**
     * Connects and joins.
     *
     * @throws JoinRefusedException if the cluster refused the name (code, reason and redirect
     *     inside)
     * @throws SocketTimeoutException if no server answered in time
     * @throws IOException if no address could be reached, or the connection closed before the
     *     answer (the message lists what was tried)
     * @throws IllegalStateException if the name or every address is missing
     */
    public MessagingClient connect() throws IOException {
      String joinAs = name;
      if (joinAs == null) {
        throw new IllegalStateException("name is required");
      }
      if (addresses.isEmpty()) {
        throw new IllegalStateException("at least one address is required");
      }
      return Connector.join(List.copyOf(addresses), joinAs, listener, timeout, balance);
    }
  }

  /** Finds a server, picks where to join (balancing, redirects), and joins. */
  private static final class Connector {
    private final String name;
    private final ClientSession.Listener listener;
    private final long deadline;
    private final Duration timeout;

    private Connector(String name, ClientSession.Listener listener, Duration timeout) {
      this.name = name;
      this.listener = listener;
      this.timeout = timeout;
      this.deadline = System.nanoTime() + timeout.toNanos();
    }

    static MessagingClient join(
        List<InetSocketAddress> addresses,
        String name,
        ClientSession.Listener listener,
        Duration timeout,
        boolean balance)
        throws IOException {
      Connector connector = new Connector(name, listener, timeout);
      Probe first = connector.firstAnswering(addresses);
      Probe chosen = first;
      if (balance) {
        Optional<ServerEvent.ServerInfo> better = first.servers.lessLoadedThanSelf();
        if (better.isPresent()) {
          InetSocketAddress there = first.addressOf(better.get());
          try {
            chosen = connector.probe(there);
            closeQuietly(first.socket);
            log.debug("{}: {} has more room than {}; joining there", name, there, first.address);
          } catch (IOException e) {
            log.debug("{}: could not reach the less-loaded {} ({}); staying", name, there, e.toString());
          }
        }
      }
      try {
        return connector.hello(chosen);
      } catch (JoinRefusedException e) {
        NodeId redirect = e.redirect();
        Optional<ServerEvent.ServerInfo> target =
            redirect == null ? Optional.empty() : chosen.servers.server(redirect);
        if (e.code() != ServerEvent.Reason.SERVER_FULL || target.isEmpty()) {
          throw e;
        }
        InetSocketAddress there = chosen.addressOf(target.get());
        log.debug("{}: {} is full; following its redirect to {}", name, chosen.address, there);
        return connector.hello(connector.probe(there));
      }
    }

    /** Tries each address in turn; the first that answers a server list is kept open. */
    private Probe firstAnswering(List<InetSocketAddress> addresses) throws IOException {
      List<String> failures = new ArrayList<>();
      for (InetSocketAddress address : addresses) {
        if (System.nanoTime() - deadline >= 0) {
          failures.add(describe(address) + ": not tried, out of time");
          continue;
        }
        try {
          return probe(address);
        } catch (IOException e) {
          failures.add(describe(address) + ": " + e.getMessage());
        }
      }
      String tried = String.join("; ", failures);
      throw addresses.size() == 1
          ? new IOException("cannot connect to " + tried)
          : new IOException("cannot connect to any of " + addresses.size() + " servers: " + tried);
    }

    /** Connects and asks for the server list; the socket is left open and unread after it. */
    Probe probe(InetSocketAddress unresolved) throws IOException {
      Socket socket = new Socket();
      try {
        socket.setTcpNoDelay(true);
        InetSocketAddress address =
            new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
        if (address.isUnresolved()) {
          throw new IOException("unknown host " + unresolved.getHostString());
        }
        socket.connect(address, millisLeft());
        socket.setSoTimeout(millisLeft());
        OutputStream out = socket.getOutputStream();
        out.write(ClientCodec.encodeRequest(new ClientRequest.ListServers()));
        out.flush();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        ServerEvent event = readEvent(in);
        if (event instanceof ServerEvent.Goodbye goodbye) {
          throw new IOException("the server said goodbye: " + goodbye.reason());
        }
        if (!(event instanceof ServerEvent.Servers servers)) {
          throw new IOException("the server answered a server list with " + event);
        }
        socket.setSoTimeout(0);
        return new Probe(socket, unresolved, servers);
      } catch (SocketTimeoutException e) {
        closeQuietly(socket);
        throw new SocketTimeoutException("no answer within " + timeout);
      } catch (CodecException e) {
        closeQuietly(socket);
        throw new IOException("the server sent a malformed frame: " + e.getMessage(), e);
      } catch (IOException | RuntimeException e) {
        closeQuietly(socket);
        throw e;
      }
    }

    MessagingClient hello(Probe at) throws IOException {
      MessagingClient client;
      try {
        client = new MessagingClient(at.socket, name, listener, at.servers, at.address);
      } catch (IOException | RuntimeException e) {
        closeQuietly(at.socket);
        throw e;
      }
      client.reader.start();
      try {
        client.hello();
        client.welcome.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        return client;
      } catch (TimeoutException e) {
        client.abort();
        throw new SocketTimeoutException(
            "no answer to joining as \"" + name + "\" from " + describe(at.address) + " within "
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

    private int millisLeft() throws SocketTimeoutException {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw new SocketTimeoutException("no answer within " + timeout);
      }
      return (int) Math.min(Integer.MAX_VALUE, left);
    }
  }

  /** An open connection to a server that has told its server list, before joining. */
  private record Probe(Socket socket, InetSocketAddress address, ServerEvent.Servers servers) {
    /** Where to reach {@code server}: its announced host, else the host this probe reached. */
    InetSocketAddress addressOf(ServerEvent.ServerInfo server) {
      String host = server.host().isEmpty() ? address.getHostString() : server.host();
      return InetSocketAddress.createUnresolved(host, server.port());
    }
  }

  private static String describe(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }

  private static ServerEvent readEvent(DataInputStream in) throws IOException, CodecException {
    byte[] prefix = new byte[ClientCodec.LENGTH_PREFIX_BYTES];
    in.readFully(prefix);
    int length = ClientCodec.frameLength(prefix, 0, prefix.length);
    byte[] frame = new byte[length];
    System.arraycopy(prefix, 0, frame, 0, prefix.length);
    in.readFully(frame, prefix.length, length - prefix.length);
    return ClientCodec.decodeEvent(frame);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      log.debug("closing a socket failed", e);
    }
  }

  /** The welcome the server sent: the name, the session id and the server. */
  public ServerEvent.Welcome welcome() {
    return welcome.join();
  }

  public String name() {
    return name;
  }

  /** The server this client is connected to, as {@code host:port}. */
  public String serverAddress() {
    return describe(address);
  }

  /**
   * The latest server list this client has: the cluster's live servers with their loads, the
   * leader marked. Servers send it when it changes, so it is at most about a heartbeat interval
   * old; {@link #listServers()} asks for a fresh one.
   */
  public ServerEvent.Servers servers() {
    return servers;
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
    request(ClientSession::listUsers);
  }

  /** Asks for the servers and their loads; the answer arrives at {@code onServers}. */
  public void listServers() throws IOException {
    request(ClientSession::listServers);
  }

  /** Has the session make one request, and writes it. */
  private void request(java.util.function.Consumer<ClientSession> ask) throws IOException {
    writeLock.lock();
    try {
      byte[] frame;
      synchronized (sessionLock) {
        ask.accept(session);
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
    // The listener hears of the servers first, so it knows where the welcome comes from.
    ServerEvent.Servers known = servers;
    listener.onServers(known);
    request(s -> s.hello(name));
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
    try (InputStream raw = socket.getInputStream()) {
      DataInputStream in = new DataInputStream(raw);
      while (true) {
        ServerEvent event = readEvent(in);
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
    public void onServers(ServerEvent.Servers list) {
      servers = list;
      toNotify.add(() -> listener.onServers(list));
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
