package io.github.ringleader.messaging.client;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.Credential;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
import io.github.ringleader.messaging.transport.tcp.TcpClientServer;
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
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of a Ringleader cluster over TCP: a {@link ClientSession} on a plain blocking socket,
 * with one reader thread (a daemon) per connection that decodes the server's frames and calls the
 * listener.
 *
 * <p><b>Blocking use.</b> {@link Builder#connect()} blocks until a server welcomes the client,
 * and throws if the cluster refuses it or nobody answers in time; the send methods write one
 * frame and return the message's number without waiting for its answer:
 *
 * <pre>{@code
 * try (MessagingClient alice = MessagingClient.builder()
 *     .address("10.0.0.1", 5001).address("10.0.0.2", 5001)   // any servers of the cluster
 *     .name("alice")
 *     .listener(listener)
 *     .connect()) {                                          // the least-loaded server
 *   alice.send("Hello everyone!");        // broadcast
 *   alice.send("bob", "Hi Bob");          // private
 * } catch (JoinRefusedException e) {
 *   // e.code() == NAME_TAKEN, e.reason()
 * }
 * }</pre>
 *
 * <p><b>Listener use.</b> Everything the server says arrives at the {@link
 * ClientSession.Listener}, on the reader thread, in the order the server sent it: messages,
 * presence, the answer to each send (by number), the user and server lists, and {@code onClosed}
 * once at the end. A listener must be quick, since it holds up the frames behind it; it may call
 * {@link #send} (no lock is held while it runs):
 *
 * <pre>{@code
 * ClientSession.Listener echo = new ClientSession.Listener() {
 *   public void onMessage(ServerEvent.Message m) { System.out.println(m.from() + ": " + m.text()); }
 *   public void onRejected(ServerEvent.Rejected r) { System.err.println(r.seq() + ": " + r.reason()); }
 *   public void onConnectionLost(String why, List<ClientRequest.Send> unconfirmed) { ... }
 *   public void onResumed(ServerEvent.Resumed r) { System.out.println("now on " + r.server()); }
 *   public void onSessionEnded(String why, List<ClientRequest.Send> lost) { ... }
 *   public void onClosed(String reason) { System.out.println("closed: " + reason); }
 * };
 * }</pre>
 *
 * <p><b>Failover.</b> Unless built with {@code failover(false)}, the client notices a lost server
 * within {@link Builder#pingTimeout} (a closed or reset connection at once; a silent one because
 * it stops answering the client's pings, sent every {@link Builder#pingInterval}), tells the
 * listener ({@code onConnectionLost}, with the messages not answered yet), and reconnects: to the
 * least-loaded other server of the latest server list first, then the others, then the addresses
 * it was built with, waiting a random ("full jitter"), doubling delay between rounds so that a
 * dead server's clients do not stampede one survivor. It keeps trying until {@link #close()},
 * telling the listener of each failed round ({@code onReconnecting}), unless a server refuses its
 * credential ({@code NOT_AUTHENTICATED}, {@code NOT_AUTHORIZED}: a changed password, a removed
 * user): then it ends, and the listener hears {@code onClosed} with the reason.
 *
 * <p><b>Session resume.</b> Over the new connection the client resumes its session: same name,
 * same session id. The server answers ({@code onResumed}); the unanswered messages the cluster
 * had taken are accepted then ({@code onAccepted}), the others are sent again with their numbers,
 * and the messages sent to the client while it moved follow, in order, then new ones — each
 * once (a message had before is dropped). Messages sent while reconnecting are kept (up to 8 MiB
 * of them by default, {@link Builder#reconnectBufferBytes}) and sent after them, in order, as
 * fast as the server takes them. If the session has ended (the cluster holds it for its grace period, 30 s
 * by default), the client is told ({@code onSessionEnded}, with the messages that will never be
 * answered) and joins afresh under its name ({@code onReconnected}).
 *
 * <p><b>Threads.</b> All methods are thread-safe; sends from several threads are written whole and
 * numbered in the order they are written, as the server requires.
 */
public final class MessagingClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MessagingClient.class);

  /**
   * How many bytes of messages a client keeps while it fails over, by default (8 MiB): see
   * {@link Builder#reconnectBufferBytes}.
   */
  public static final long DEFAULT_RECONNECT_BUFFER_BYTES =
      ClientSession.DEFAULT_RECONNECT_BUFFER_BYTES;

  /** How long {@link #close()} waits for the server's goodbye before closing the socket. */
  private static final Duration GOODBYE_WAIT = Duration.ofSeconds(1);

  private final Settings settings;
  private final String name;
  private final ClientSession.Listener listener;

  /** Taken first by writers, so frames go out whole and in the order they were numbered. */
  private final ReentrantLock writeLock = new ReentrantLock();

  /** Guards the session; never held while the listener runs or while writing to the socket. */
  private final Object sessionLock = new Object();

  private final ClientSession session;
  /** What the session asked to send while sessionLock was held. */
  private final List<byte[]> toWrite = new ArrayList<>();
  /** Listener calls the session made while sessionLock was held, run after it is released. */
  private final List<Runnable> toNotify = new ArrayList<>();

  /** Pings and reconnects; one daemon thread, made when the client first joins with failover. */
  private final ScheduledExecutorService timer;

  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile @Nullable Connection connection;
  private volatile ServerEvent.Servers servers;
  private volatile ServerEvent.@Nullable Welcome welcome;
  /** The welcome (or refusal) the current join attempt waits for. */
  private volatile CompletableFuture<ServerEvent.Welcome> pendingWelcome =
      new CompletableFuture<>();
  /** Set by {@link #close()}: a lost connection is then the end, not a reason to reconnect. */
  private volatile boolean closing;

  private MessagingClient(Settings settings, ServerEvent.Servers servers) {
    this.settings = settings;
    this.name = settings.name;
    this.listener = settings.listener;
    this.servers = servers;
    this.session = new ClientSession(this::collect, new Relay(), settings.reconnectBufferBytes);
    CredentialSource credential = settings.credential;
    if (credential != null) {
      session.credentials(credential::next);
    }
    ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
      Thread thread = new Thread(runnable, "ringleader-client-timer-" + settings.name);
      thread.setDaemon(true);
      return thread;
    });
    executor.setRemoveOnCancelPolicy(true);
    this.timer = executor;
  }

  /**
   * Connects to the server at {@code host:port} and joins there as {@code name}, waiting up to
   * {@code timeout} in all (connecting and the server's answer). It stays on that server even if
   * another has more room, and does not fail over: when the connection is lost, the session is
   * over. {@link #builder()} offers a list of addresses, balancing and failover.
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
        .failover(false)
        .connect();
  }

  /** Starts building a client: addresses, name, listener, balancing, failover, timings. */
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
    private boolean failover = true;
    private Duration pingInterval = Duration.ofSeconds(1);
    private Duration pingTimeout = Duration.ofSeconds(3);
    private Duration backoffMin = Duration.ofMillis(50);
    private Duration backoffMax = Duration.ofSeconds(2);
    private Duration resumeTimeout = Duration.ofSeconds(15);
    private long reconnectBufferBytes = DEFAULT_RECONNECT_BUFFER_BYTES;
    private @Nullable ClientTls tls;
    private @Nullable String user;
    private @Nullable Supplier<char[]> secret;

    private Builder() {}

    /**
     * Speaks TLS to every server (probes and reconnects included), trusting and verifying as
     * {@code tls} says; default: plaintext. A server that speaks the other makes connecting fail
     * with a message saying so.
     */
    public Builder tls(ClientTls tls) {
      this.tls = Objects.requireNonNull(tls, "tls");
      return this;
    }

    /**
     * Signs in as {@code user} with {@code secret} (a password), for a cluster that
     * requires client authentication; shown with every join and resume. The array is copied: clear
     * your own. The client keeps its copy (it needs it to resume after a failover) until {@link
     * MessagingClient#close()}, which clears it. Default: no credential.
     */
    public Builder credential(String user, char[] secret) {
      char[] copy = Objects.requireNonNull(secret, "secret").clone();
      return credential(user, () -> copy.clone(), () -> java.util.Arrays.fill(copy, '\0'));
    }

    /**
     * As {@link #credential(String, char[])}, with the secret asked of {@code secret} for each
     * join and resume; the client clears each array it gets once it is sent.
     */
    public Builder credential(String user, Supplier<char[]> secret) {
      return credential(user, secret, () -> {});
    }

    private @Nullable Runnable clearSecret;

    private Builder credential(String user, Supplier<char[]> secret, Runnable clear) {
      String problem = io.github.ringleader.messaging.routing.ClientNames.problemWith(
          Objects.requireNonNull(user, "user"));
      if (problem != null) {
        throw new IllegalArgumentException("credential user is invalid: " + problem);
      }
      Runnable before = clearSecret;
      if (before != null) {
        before.run();
      }
      this.user = user;
      this.secret = Objects.requireNonNull(secret, "secret");
      this.clearSecret = clear;
      return this;
    }

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

    /**
     * How long the client waits for a server to resume its session after a failover (default
     * 15 s). The cluster answers once it has let go of the lost server, which after a crash takes
     * its failure detection time (heartbeat interval × missed heartbeats, 6 s by default): keep
     * this above that.
     */
    public Builder resumeTimeout(Duration resumeTimeout) {
      this.resumeTimeout = positive("resumeTimeout", resumeTimeout);
      return this;
    }

    /**
     * How many bytes of messages the client keeps while it fails over (default 8 MiB, {@link
     * #DEFAULT_RECONNECT_BUFFER_BYTES}): a message sent while the client reconnects is kept, and
     * sent once its session has resumed, if all its unanswered messages together (those sent
     * before the connection was lost included) then cost at most this much. A message costs the
     * UTF-8 bytes of its text and recipient plus {@value ClientSession#KEPT_MESSAGE_OVERHEAD}.
     * Past it, {@code send} throws an {@link IOException} that says the buffer is full and how
     * much waits. 0 keeps nothing: every send while reconnecting fails.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder reconnectBufferBytes(long reconnectBufferBytes) {
      if (reconnectBufferBytes < 0) {
        throw new IllegalArgumentException(
            "reconnectBufferBytes must be >= 0, was " + reconnectBufferBytes);
      }
      this.reconnectBufferBytes = reconnectBufferBytes;
      return this;
    }

    /** How long one join may take in all, the server's welcome included (default 5 s). */
    public Builder timeout(Duration timeout) {
      this.timeout = positive("timeout", timeout);
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

    /** Whether to reconnect by itself when its server is lost (default true); see the class. */
    public Builder failover(boolean failover) {
      this.failover = failover;
      return this;
    }

    /** How often the client pings its server while connected (default 1 s). */
    public Builder pingInterval(Duration pingInterval) {
      this.pingInterval = positive("pingInterval", pingInterval);
      return this;
    }

    /**
     * How long the server may stay silent before the client gives it up and reconnects (default
     * 3 s; at least the ping interval). A crashed server's connection usually closes at once; this
     * bounds the cases where it does not (a frozen server, a cut network).
     */
    public Builder pingTimeout(Duration pingTimeout) {
      this.pingTimeout = positive("pingTimeout", pingTimeout);
      return this;
    }

    /**
     * The range of the random delay between reconnect rounds: the first waits up to {@code min},
     * each next one up to twice as long, never more than {@code max} (defaults 50 ms, 2 s).
     */
    public Builder reconnectBackoff(Duration min, Duration max) {
      positive("backoff min", min);
      positive("backoff max", max);
      if (max.compareTo(min) < 0) {
        throw new IllegalArgumentException("backoff max " + max + " is below min " + min);
      }
      this.backoffMin = min;
      this.backoffMax = max;
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
     * @throws IllegalStateException if the name or every address is missing, or the ping timeout
     *     is shorter than the ping interval
     */
    public MessagingClient connect() throws IOException {
      String joinAs = name;
      if (joinAs == null) {
        throw new IllegalStateException("name is required");
      }
      if (addresses.isEmpty()) {
        throw new IllegalStateException("at least one address is required");
      }
      if (pingTimeout.compareTo(pingInterval) < 0) {
        throw new IllegalStateException(
            "pingTimeout " + pingTimeout + " is shorter than pingInterval " + pingInterval);
      }
      Supplier<char[]> secretSource = secret;
      String signInAs = user;
      Runnable clear = clearSecret;
      Settings settings = new Settings(
          List.copyOf(addresses),
          joinAs,
          listener,
          timeout,
          balance,
          failover,
          pingInterval,
          pingTimeout,
          backoffMin,
          backoffMax,
          resumeTimeout,
          reconnectBufferBytes,
          tls,
          signInAs == null || secretSource == null
              ? null
              : new CredentialSource(signInAs, secretSource, clear != null ? clear : () -> {}));
      return firstJoin(settings);
    }

    private static Duration positive(String what, Duration value) {
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be > 0, was " + value);
      }
      return value;
    }
  }

  private record Settings(
      List<InetSocketAddress> addresses,
      String name,
      ClientSession.Listener listener,
      Duration timeout,
      boolean balance,
      boolean failover,
      Duration pingInterval,
      Duration pingTimeout,
      Duration backoffMin,
      Duration backoffMax,
      Duration resumeTimeout,
      long reconnectBufferBytes,
      @Nullable ClientTls tls,
      @Nullable CredentialSource credential) {}

  /** Where the client's credential comes from, and how its kept copy is cleared at close. */
  private record CredentialSource(String user, Supplier<char[]> secret, Runnable clear) {
    Credential next() {
      char[] chars = secret.get();
      try {
        return new Credential(user, chars);
      } finally {
        java.util.Arrays.fill(chars, '\0');
      }
    }
  }

  // ---------------------------------------------------------------- joining

  private static MessagingClient firstJoin(Settings settings) throws IOException {
    long deadline = System.nanoTime() + settings.timeout.toNanos();
    Probe first = firstAnswering(settings.addresses, settings, deadline);
    Probe chosen = first;
    if (settings.balance) {
      Optional<ServerEvent.ServerInfo> better = first.servers.lessLoadedThanSelf();
      if (better.isPresent()) {
        InetSocketAddress there = first.addressOf(better.get());
        try {
          chosen = probe(there, settings, deadline);
          closeQuietly(first.socket);
          log.debug(
              "{}: {} has more room than {}; joining there", settings.name, there, first.address);
        } catch (IOException e) {
          log.debug(
              "{}: cannot reach the less-loaded {} ({}); staying",
              settings.name,
              there,
              e.toString());
        }
      }
    }
    MessagingClient client = new MessagingClient(settings, chosen.servers);
    try {
      try {
        client.join(chosen, deadline);
      } catch (JoinRefusedException e) {
        InetSocketAddress redirect = redirectOf(e, chosen);
        if (redirect == null) {
          throw e;
        }
        log.debug(
            "{}: {} is full; following its redirect to {}",
            settings.name,
            chosen.address,
            redirect);
        client.join(probe(redirect, settings, deadline), deadline);
      }
    } catch (IOException | RuntimeException e) {
      client.shutDown();
      throw e;
    }
    client.startPinging();
    return client;
  }

  private static @Nullable InetSocketAddress redirectOf(JoinRefusedException e, Probe from) {
    NodeId redirect = e.redirect();
    if (e.code() != ServerEvent.Reason.SERVER_FULL || redirect == null) {
      return null;
    }
    return from.servers.server(redirect).map(from::addressOf).orElse(null);
  }

  /** Tries each address in turn; the first that answers a server list is kept open. */
  private static Probe firstAnswering(
      List<InetSocketAddress> addresses, Settings settings, long deadline) throws IOException {
    List<String> failures = new ArrayList<>();
    for (InetSocketAddress address : addresses) {
      if (System.nanoTime() - deadline >= 0) {
        failures.add(describe(address) + ": not tried, out of time");
        continue;
      }
      try {
        return probe(address, settings, deadline);
      } catch (IOException e) {
        failures.add(describe(address) + ": " + why(e));
      }
    }
    String tried = String.join("; ", failures);
    throw addresses.size() == 1
        ? new IOException("cannot connect to " + tried)
        : new IOException("cannot connect to any of " + addresses.size() + " servers: " + tried);
  }

  /** Connects and asks for the server list; the socket is left open and unread after it. */
  private static Probe probe(InetSocketAddress unresolved, Settings settings, long deadline)
      throws IOException {
    Duration timeout = settings.timeout;
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      InetSocketAddress address =
          new InetSocketAddress(unresolved.getHostString(), unresolved.getPort());
      if (address.isUnresolved()) {
        throw new IOException("unknown host " + unresolved.getHostString());
      }
      socket.connect(address, millisLeft(deadline, timeout));
      socket.setSoTimeout(millisLeft(deadline, timeout));
      ClientTls tls = settings.tls;
      if (tls != null) {
        socket = tls.handshake(socket, unresolved.getHostString(), unresolved.getPort());
      }
      OutputStream out = socket.getOutputStream();
      out.write(ClientCodec.encodeRequest(new ClientRequest.ListServers()));
      out.flush();
      ServerEvent event = readEvent(new DataInputStream(socket.getInputStream()));
      if (event instanceof ServerEvent.Goodbye goodbye) {
        if (goodbye.reason().equals(TcpClientServer.TLS_ONLY_GOODBYE)) {
          throw new IOException(
              "server " + describe(unresolved) + " speaks TLS; give the client a trust store"
                  + " (--tls-trust <pem>; MessagingClient.Builder.tls)");
        }
        throw new IOException("the server said goodbye: " + goodbye.reason());
      }
      if (!(event instanceof ServerEvent.Servers servers)) {
        throw new IOException("the server answered a server list with " + event);
      }
      socket.setSoTimeout(0);
      return new Probe(socket, unresolved, servers);
    } catch (SocketTimeoutException e) {
      closeQuietly(socket);
      throw new SocketTimeoutException("no answer within " + human(timeout));
    } catch (CodecException e) {
      closeQuietly(socket);
      throw new IOException("the server sent a malformed frame: " + e.getMessage(), e);
    } catch (javax.net.ssl.SSLException e) {
      closeQuietly(socket);
      ClientTls tls = settings.tls;
      if (tls == null || !(socket instanceof javax.net.ssl.SSLSocket)) {
        throw e; // the handshake failed, and ClientTls said why
      }
      throw new javax.net.ssl.SSLException(tls.explainAfterHandshake(e, describe(unresolved)), e);
    } catch (java.net.SocketException | EOFException e) {
      closeQuietly(socket);
      ClientTls tls = settings.tls;
      if (tls == null || !(socket instanceof javax.net.ssl.SSLSocket)) {
        throw e;
      }
      throw new IOException(tls.explainClosedAfterHandshake(e, describe(unresolved)), e);
    } catch (IOException | RuntimeException e) {
      closeQuietly(socket);
      throw e;
    }
  }

  private static int millisLeft(long deadline, Duration timeout) throws SocketTimeoutException {
    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
    if (left <= 0) {
      throw new SocketTimeoutException("no answer within " + human(timeout));
    }
    return (int) Math.min(Integer.MAX_VALUE, left);
  }

  /** Says hello over {@code at} and waits for the answer; the connection becomes current. */
  private ServerEvent.Welcome join(Probe at, long deadline) throws IOException {
    return join(at, deadline, false);
  }

  /**
   * Says hello, or asks to resume the session ({@code resume}), over {@code at} and waits for the
   * answer; the connection becomes current.
   */
  private ServerEvent.Welcome join(Probe at, long deadline, boolean resume) throws IOException {
    Connection joining;
    try {
      joining = new Connection(at);
    } catch (IOException | RuntimeException e) {
      closeQuietly(at.socket);
      throw e;
    }
    CompletableFuture<ServerEvent.Welcome> answer = new CompletableFuture<>();
    synchronized (sessionLock) {
      if (session.state() != ClientSession.State.NEW) {
        session.detach();
      }
      // Frames an earlier attempt's session queued (sends repeated after a resume that came too
      // late) belong to that connection; the next resume sends them again itself.
      toWrite.clear();
      pendingWelcome = answer;
      servers = at.servers;
      connection = joining;
    }
    // The listener hears of the servers first, so it knows where the welcome comes from.
    call(() -> listener.onServers(at.servers));
    joining.reader.start();
    try {
      request(resume ? ClientSession::resume : s -> s.hello(name));
      return answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      joining.abort();
      throw new SocketTimeoutException("no answer to joining as \"" + name + "\" from "
          + describe(at.address) + " within " + human(settings.timeout));
    } catch (ExecutionException e) {
      joining.abort();
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("joining as \"" + name + "\" failed", cause);
    } catch (InterruptedException e) {
      joining.abort();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while joining as \"" + name + "\"", e);
    } catch (IOException | RuntimeException e) {
      joining.abort();
      throw e;
    }
  }

  // ---------------------------------------------------------------- what users call

  /** The latest welcome: the name, the session id and the server (a new one after failover). */
  public ServerEvent.Welcome welcome() {
    ServerEvent.Welcome latest = welcome;
    if (latest == null) {
      throw new IllegalStateException("not welcomed");
    }
    return latest;
  }

  public String name() {
    return name;
  }

  /** The server this client is connected to (or was, while it reconnects), as {@code host:port}. */
  public String serverAddress() {
    Connection current = connection;
    return current == null ? "" : describe(current.address);
  }

  /**
   * The latest server list this client has: the cluster's live servers with their loads, the
   * leader marked. Servers send it when it changes, so it is at most about a heartbeat interval
   * old; {@link #listServers()} asks for a fresh one.
   */
  public ServerEvent.Servers servers() {
    return servers;
  }

  /** Whether the client is over: closed, or its connection lost without failover. */
  public boolean isClosed() {
    return closed.getCount() == 0;
  }

  /** Whether the client is joined now (false while it reconnects). */
  public boolean isConnected() {
    synchronized (sessionLock) {
      return session.state() == ClientSession.State.JOINED;
    }
  }

  /**
   * Sends {@code text} to everyone (the sender receives it too, in its place in the order).
   *
   * @return the message's number, echoed in {@code onAccepted} or {@code onRejected}
   * @throws IllegalArgumentException if the text is over 4,096 bytes of UTF-8 or not encodable
   * @throws IllegalStateException if the client is closed
   * @throws IOException if the client is reconnecting and cannot keep the message for its
   *     resumed session (the session ended, or its reconnect buffer is full: the message says
   *     which, and how much waits), or, without failover, if
   *     writing to the socket failed (with failover, a message whose write fails is kept and sent
   *     again once the session has resumed)
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
    ClientCodec.checkSend(to, text); // before numbering
    writeLock.lock();
    try {
      long seq;
      List<byte[]> frames;
      Connection current;
      synchronized (sessionLock) {
        checkCanSend(to, text);
        seq = session.send(to, text); // while resuming: kept, and sent once resumed
        frames = takeFrames();
        current = connection;
      }
      if (current != null) {
        try {
          for (byte[] frame : frames) {
            current.write(frame);
          }
        } catch (IOException e) {
          if (!settings.failover) {
            throw e;
          }
          // The message is kept: it goes again once the session has resumed (or is reported in
          // onSessionEnded). Throwing would invite the caller to send it twice.
          log.debug(
              "{}: writing send {} failed ({}); it goes again after the failover",
              name,
              seq,
              e.toString());
        }
      }
      return seq;
    } finally {
      writeLock.unlock();
    }
  }

  private void checkCanSend(@Nullable String to, String text) throws IOException {
    String refusal = session.refusal(to, text);
    if (refusal == null) {
      return;
    }
    if (isClosed() || closing) {
      throw new IllegalStateException("the client is closed");
    }
    if (session.state() == ClientSession.State.JOINED || session.canQueue()) {
      throw new IOException(refusal + " (MessagingClient.Builder.reconnectBufferBytes)");
    }
    if (session.state() == ClientSession.State.CLOSED) {
      // The server ended the connection a moment ago; the failover has not taken over yet.
      throw new IOException(
          "not connected: the server just ended the connection; reconnecting to the cluster");
    }
    throw new IOException(
        "not connected: reconnecting to the cluster as a new session (the old one cannot be"
            + " resumed), so nothing is kept until it has joined");
  }

  /** Asks who is connected; the answer arrives at {@code onUsers}. */
  public void listUsers() throws IOException {
    request(ClientSession::listUsers);
  }

  /** Asks for the servers and their loads; the answer arrives at {@code onServers}. */
  public void listServers() throws IOException {
    request(ClientSession::listServers);
  }

  /** Has the session make one request, and writes it to the current connection. */
  private void request(Consumer<ClientSession> ask) throws IOException {
    writeLock.lock();
    try {
      List<byte[]> frames;
      Connection current;
      synchronized (sessionLock) {
        current = connection;
        if (current == null) {
          throw new IOException("not connected");
        }
        ask.accept(session);
        frames = takeFrames();
      }
      for (byte[] frame : frames) {
        current.write(frame);
      }
    } finally {
      writeLock.unlock();
    }
  }

  /** Writes what the session queued by itself: the sends it repeats after resuming. */
  private void writeQueued() {
    try {
      request(s -> {}); // nothing new: only what is queued
    } catch (IOException e) {
      log.debug(
          "{}: sending again after resuming failed: {}",
          name,
          e.toString()); // the reader sees the loss
    }
  }

  /**
   * Says goodbye, waits briefly (up to a second) for the server's answer, and closes the
   * connection; no reconnecting after this. Safe to call more than once.
   */
  @Override
  public void close() {
    closing = true;
    timer.shutdownNow();
    Connection current = connection;
    if (current != null && !isClosed()) {
      try {
        boolean joined;
        synchronized (sessionLock) {
          joined = session.state() == ClientSession.State.JOINED;
        }
        if (joined) {
          request(ClientSession::bye);
        }
      } catch (IOException e) {
        log.debug("{}: sending goodbye failed: {}", name, e.toString());
      }
      current.awaitEnd(GOODBYE_WAIT);
    }
    shutDown();
  }

  /** Closes everything without a goodbye; the listener hears {@code onClosed} once. */
  private void shutDown() {
    closing = true;
    timer.shutdownNow();
    CredentialSource credential = settings.credential;
    if (credential != null) {
      credential.clear().run(); // no more joins nor resumes: the kept secret goes
    }
    Connection current = connection;
    if (current != null) {
      current.abort();
    }
    end();
  }

  /** The client is over: the listener hears {@code onClosed} once (if the session has not said). */
  private void end() {
    synchronized (sessionLock) {
      if (closed.getCount() > 0) {
        closed.countDown();
        if (session.state() != ClientSession.State.CLOSED) {
          session.onDisconnected(); // calls onClosed(null) through the relay
        }
      }
    }
    notifyListener();
  }

  /** The session's way out: called with sessionLock held, so it only collects. */
  private void collect(ClientRequest request) {
    try {
      toWrite.add(ClientCodec.encodeRequest(request));
    } finally {
      // Encoded (or not encodable): the request's credential is of no more use here.
      Credential credential = request instanceof ClientRequest.Hello h
          ? h.credential()
          : request instanceof ClientRequest.Resume r ? r.credential() : null;
      if (credential != null) {
        credential.clear();
      }
    }
  }

  /**
   * The frames the session produced, in order: a request's own, after any it queued by itself
   * (sends repeated after a resume), so that numbers reach the server in order.
   */
  private List<byte[]> takeFrames() {
    List<byte[]> frames = new ArrayList<>(toWrite);
    toWrite.clear();
    return frames;
  }

  // ---------------------------------------------------------------- failover

  private void startPinging() {
    if (!settings.failover) {
      return;
    }
    long every = settings.pingInterval.toNanos();
    timer.scheduleWithFixedDelay(this::ping, every, every, TimeUnit.NANOSECONDS);
  }

  /** Asks for the server list, which also proves the server alive; gives up a silent server. */
  private void ping() {
    Connection current = connection;
    if (current == null || !current.welcomed || current.ended.getCount() == 0) {
      return;
    }
    long silent = System.nanoTime() - current.lastHeardNanos;
    if (silent > settings.pingTimeout.toNanos()) {
      current.lostBecause("no answer from " + serverName(current) + " for "
          + TimeUnit.NANOSECONDS.toMillis(silent) + " ms");
      current.abort();
      return;
    }
    try {
      request(ClientSession::listServers);
    } catch (IOException e) {
      current.lostBecause("writing to " + serverName(current) + " failed: " + why(e));
      current.abort();
    }
  }

  private String serverName(Connection c) {
    ServerEvent.Welcome w = welcome;
    return w != null && c.welcomed ? w.server().value() : describe(c.address);
  }

  /** Called once per connection when its reader ends. */
  private void onConnectionEnded(Connection ended, String reason) {
    List<ClientRequest.Send> unconfirmed;
    synchronized (sessionLock) {
      if (ended != connection || !ended.welcomed) {
        return; // a join attempt failed (its caller hears of it), or a replaced connection
      }
      if (closing || !settings.failover || isClosed()) {
        // The end of the client; the session has told the listener through the relay.
        if (session.state() != ClientSession.State.CLOSED) {
          session.onDisconnected();
        }
        closed.countDown();
        unconfirmed = null;
      } else {
        unconfirmed = session.detach();
      }
    }
    notifyListener();
    if (unconfirmed == null) {
      timer.shutdownNow();
      return;
    }
    NodeId lost = Objects.requireNonNull(welcome).server();
    log.debug("{}: lost the connection to {} ({}); reconnecting", name, lost, reason);
    List<ClientRequest.Send> unanswered = List.copyOf(unconfirmed);
    call(() -> listener.onConnectionLost(reason, unanswered));
    scheduleReconnect(lost, ended.address, 0, System.nanoTime());
  }

  private void scheduleReconnect(NodeId lost, InetSocketAddress lostAt, int round, long since) {
    long ceiling = Math.min(
        settings.backoffMax.toNanos(), settings.backoffMin.toNanos() << Math.min(round, 20));
    // "Full jitter": anywhere from nothing to the ceiling, so clients spread out.
    long delay = round == 0 ? 0 : ThreadLocalRandom.current().nextLong(ceiling + 1);
    try {
      timer.schedule(() -> reconnect(lost, lostAt, round, since), delay, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("{}: closed while reconnecting", name);
    }
  }

  private void reconnect(NodeId lost, InetSocketAddress lostAt, int round, long since) {
    if (closing) {
      return;
    }
    List<String> failures = new ArrayList<>();
    for (InetSocketAddress candidate : candidates(lost, lostAt)) {
      if (closing) {
        return;
      }
      boolean resume;
      synchronized (sessionLock) {
        if (session.state() != ClientSession.State.NEW) {
          session.detach(); // an earlier attempt that timed out or was turned away
        }
        resume = session.canResume();
      }
      // The cluster answers a resume once it has let go of the lost server, which after a crash
      // takes its failure detection time: a resume may wait longer than a join.
      long deadline =
          System.nanoTime() + (resume ? settings.resumeTimeout : settings.timeout).toNanos();
      try {
        Probe probe = probe(candidate, settings, deadline);
        ServerEvent.Welcome welcomed;
        try {
          welcomed = join(probe, deadline, resume);
        } catch (JoinRefusedException e) {
          if (resume && e.code() == ServerEvent.Reason.SESSION_ENDED) {
            sessionEnded(e.reason());
            probe = probe(candidate, settings, deadline);
            resume = false;
            welcomed = join(probe, deadline, false);
          } else {
            InetSocketAddress redirect = redirectOf(e, probe);
            if (redirect == null) {
              throw e;
            }
            welcomed = join(probe(redirect, settings, deadline), deadline, resume);
          }
        }
        log.debug(
            "{}: reconnected to {} after {} ms",
            name,
            welcomed.server(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since));
        return;
      } catch (JoinRefusedException e) {
        if (e.code() == ServerEvent.Reason.NOT_AUTHENTICATED
            || e.code() == ServerEvent.Reason.NOT_AUTHORIZED) {
          // The credential is no longer good (a changed password, a removed user): trying again
          // would only be refused again, and count as guessing. The client ends.
          log.warn(
              "{}: the cluster no longer accepts this client's credential ({}); giving up",
              name,
              e.reason());
          boolean toldAlready;
          synchronized (sessionLock) {
            // The refusal closed the session without telling the listener (it was reconnecting).
            toldAlready = session.state() != ClientSession.State.CLOSED;
          }
          shutDown();
          if (!toldAlready) {
            String why = "the cluster no longer accepts this client's credential: " + e.reason();
            call(() -> listener.onClosed(why));
          }
          return;
        }
        // The name is cluster-wide: another server would say the same. After a crash it stays
        // taken until the cluster notices the crash; try again next round.
        failures.add(describe(candidate) + ": " + why(e));
        break;
      } catch (IOException e) {
        failures.add(describe(candidate) + ": " + why(e));
      }
    }
    if (closing) {
      return;
    }
    int next = round + 1;
    String why = String.join("; ", failures);
    log.debug("{}: reconnect round {} failed: {}", name, next, why);
    long wait = Math.min(
        settings.backoffMax.toNanos(), settings.backoffMin.toNanos() << Math.min(next, 20));
    call(() -> listener.onReconnecting(next, why, Duration.ofNanos(wait)));
    scheduleReconnect(lost, lostAt, next, since);
  }

  /** The session cannot be resumed: its unanswered messages are given up, and the user told. */
  private void sessionEnded(String reason) {
    List<ClientRequest.Send> lost;
    synchronized (sessionLock) {
      lost = session.abandon();
      session.detach();
    }
    log.debug("{}: the session ended ({}); joining afresh", name, reason);
    call(() -> listener.onSessionEnded(reason, lost));
  }

  /**
   * Where to try, in order: the other servers of the latest list, least loaded first; the lost
   * server; the addresses the client was built with.
   */
  private List<InetSocketAddress> candidates(NodeId lost, InetSocketAddress lostAt) {
    ServerEvent.Servers known = servers;
    Set<InetSocketAddress> order = new LinkedHashSet<>();
    known.servers().stream()
        .filter(s -> s.port() > 0 && !s.id().equals(lost))
        .sorted(Comparator.comparing((ServerEvent.ServerInfo s) -> !s.hasRoom())
            .thenComparingDouble(ServerEvent.ServerInfo::load)
            .thenComparing(ServerEvent.ServerInfo::id))
        .forEach(s -> order.add(reach(s, lostAt.getHostString())));
    order.add(lostAt);
    order.addAll(settings.addresses);
    return new ArrayList<>(order);
  }

  // ---------------------------------------------------------------- connections

  /** One TCP connection to one server, with its reader thread. */
  private final class Connection {
    final Socket socket;
    final OutputStream out;
    final InetSocketAddress address;
    final Thread reader;
    final CountDownLatch ended = new CountDownLatch(1);
    volatile boolean welcomed;
    volatile long lastHeardNanos = System.nanoTime();
    volatile @Nullable String lostReason;

    Connection(Probe probe) throws IOException {
      this.socket = probe.socket;
      this.out = socket.getOutputStream();
      this.address = probe.address;
      this.reader = new Thread(this::readLoop, "ringleader-client-" + name);
      reader.setDaemon(true);
    }

    void write(byte[] frame) throws IOException {
      out.write(frame);
      out.flush();
    }

    void lostBecause(String reason) {
      if (lostReason == null) {
        lostReason = reason;
      }
    }

    void abort() {
      closeQuietly(socket);
      if (Thread.currentThread() != reader) {
        awaitEnd(GOODBYE_WAIT);
      }
    }

    void awaitEnd(Duration wait) {
      try {
        if (Thread.currentThread() != reader
            && !ended.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
          log.debug("{}: the reader did not end within {}", name, wait);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void readLoop() {
      String reason = "the server closed the connection";
      boolean saidGoodbye = false;
      try (InputStream raw = socket.getInputStream()) {
        // Buffered: the events that arrived together are read with one system call.
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(raw, 64 * 1024));
        while (true) {
          ServerEvent event = readEvent(in);
          lastHeardNanos = System.nanoTime();
          boolean over;
          boolean queued;
          synchronized (sessionLock) {
            if (connection != this) {
              break; // replaced: a late frame of an abandoned join
            }
            session.onEvent(event);
            over = session.state() == ClientSession.State.CLOSED;
            queued = !toWrite.isEmpty();
          }
          if (queued) {
            // Not from this thread: a write may wait for the server, which waits for this reader.
            try {
              timer.execute(MessagingClient.this::writeQueued);
            } catch (java.util.concurrent.RejectedExecutionException e) {
              log.debug("{}: closed before sending again what it had queued", name);
            }
          }
          notifyListener();
          if (event instanceof ServerEvent.Goodbye goodbye) {
            reason = "the server said goodbye: " + goodbye.reason();
            saidGoodbye = true;
          }
          if (over) {
            break;
          }
        }
      } catch (EOFException e) {
        log.debug("{}: the server closed the connection", name);
      } catch (IOException e) {
        reason = "the connection broke: " + why(e);
        log.debug("{}: connection broke: {}", name, e.toString());
      } catch (CodecException e) {
        reason = "the server sent a malformed frame: " + e.getMessage();
        log.warn("{}: the server sent a malformed frame ({}); disconnecting", name, e.getMessage());
      } finally {
        closeQuietly(socket);
        // The server's own word beats what this side noticed meanwhile: a ping written while the
        // goodbye was on its way fails too ("Socket closed", "Broken pipe").
        String why = saidGoodbye || lostReason == null ? reason : lostReason;
        pendingWelcomeFails(why);
        ended.countDown();
        onConnectionEnded(this, why);
      }
    }

    private void pendingWelcomeFails(String why) {
      if (!welcomed) {
        pendingWelcome.completeExceptionally(new IOException(
            "the connection closed before the server welcomed \"" + name + "\": " + why));
      }
    }
  }

  /** An open connection to a server that has told its server list, before joining. */
  private record Probe(Socket socket, InetSocketAddress address, ServerEvent.Servers servers) {
    /** Where to reach {@code server}: its announced host, else the host this probe reached. */
    InetSocketAddress addressOf(ServerEvent.ServerInfo server) {
      return reach(server, address.getHostString());
    }
  }

  /** Where to reach {@code server}: its announced host, else {@code knownHost}. */
  private static InetSocketAddress reach(ServerEvent.ServerInfo server, String knownHost) {
    String host = server.host().isEmpty() ? knownHost : server.host();
    return InetSocketAddress.createUnresolved(host, server.port());
  }

  /** A duration as people write it: {@code 5 s}, {@code 500 ms}, {@code 1.5 s}, not {@code PT5S}. */
  static String human(Duration duration) {
    long millis = duration.toMillis();
    if (millis < 1000) {
      return millis + " ms";
    }
    return java.math.BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString() + " s";
  }

  /** What went wrong, in words: never {@code null} (an end of stream has no message). */
  static String why(IOException e) {
    if (e instanceof EOFException) {
      return "the server closed the connection";
    }
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
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

  private void notifyListener() {
    List<Runnable> calls;
    synchronized (sessionLock) {
      if (toNotify.isEmpty()) {
        return;
      }
      calls = new ArrayList<>(toNotify);
      toNotify.clear();
    }
    calls.forEach(this::call);
  }

  private void call(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.error("{}: the listener threw", name, e);
    }
  }

  /** Records the session's listener calls (sessionLock is held) and settles the join. */
  private final class Relay implements ClientSession.Listener {
    /** After the first welcome, a refusal or goodbye is the failover's business, not the user's. */
    private boolean reconnecting() {
      return welcome != null && !closing && settings.failover;
    }

    @Override
    public void onWelcome(ServerEvent.Welcome w) {
      boolean again = welcome != null;
      welcome = w;
      Connection current = connection;
      if (current != null) {
        current.welcomed = true; // before anything else can end it: its end is now a loss
      }
      pendingWelcome.complete(w);
      toNotify.add(again ? () -> listener.onReconnected(w) : () -> listener.onWelcome(w));
    }

    @Override
    public void onResumed(ServerEvent.Resumed r) {
      ServerEvent.Welcome w = new ServerEvent.Welcome(
          r.name(), r.session(), r.server(), r.epoch(), r.seq(), session.resumeToken());
      welcome = w;
      Connection current = connection;
      if (current != null) {
        current.welcomed = true;
      }
      pendingWelcome.complete(w);
      toNotify.add(() -> listener.onResumed(r));
    }

    @Override
    public void onRefused(ServerEvent.Refused refused) {
      if (refused.code() != ServerEvent.Reason.PROTOCOL_ERROR) {
        pendingWelcome.completeExceptionally(new JoinRefusedException(name, refused));
      }
      if (!reconnecting()) {
        toNotify.add(() -> listener.onRefused(refused));
      }
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
      pendingWelcome.completeExceptionally(new IOException(
          "the server ended the session before welcoming \"" + name + "\": " + reason));
      if (!reconnecting()) {
        toNotify.add(() -> listener.onClosed(reason));
      }
    }
  }
}
