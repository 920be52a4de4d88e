package io.github.ringleader.messaging.client;

import static io.github.ringleader.messaging.client.ServerProbe.closeQuietly;
import static io.github.ringleader.messaging.client.ServerProbe.describe;
import static io.github.ringleader.messaging.client.ServerProbe.human;
import static io.github.ringleader.messaging.client.ServerProbe.readEvent;
import static io.github.ringleader.messaging.client.ServerProbe.why;

import io.github.ringleader.messaging.client.ServerProbe.Probe;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.routing.ClientNames;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ClientSession;
import io.github.ringleader.messaging.session.Credential;
import io.github.ringleader.messaging.session.Reconnector;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.CodecException;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
 * with one reader thread per connection that decodes the server's frames, and one event thread
 * that calls the listeners.
 *
 * <p><b>Use.</b> {@link Builder#connect()} blocks until a server welcomes the client, and throws
 * if the cluster refuses it or nobody answers in time. {@link #send} returns a future of the
 * server's answer; {@link #publish} sends without one, for throughput:
 *
 * <pre>{@code
 * try (MessagingClient alice = MessagingClient.builder()
 *     .address("10.0.0.1", 5001).address("10.0.0.2", 5001)   // any servers of the cluster
 *     .name("alice")
 *     .messageListener(new MessageListener() {
 *       public void onMessage(ReceivedMessage m) { System.out.println(m.from() + ": " + m.text()); }
 *     })
 *     .connect()) {                                          // the least-loaded server
 *   alice.send("Hello everyone!").join();            // broadcast; waits for the answer
 *   alice.send("bob", "Hi Bob")                      // private
 *       .whenComplete((ok, failed) -> { if (failed != null) System.err.println(failed); });
 *   alice.publish("fire and forget");                // no future; failures: onPublishFailed
 * } catch (JoinRefusedException e) {
 *   // e.code() == NAME_TAKEN, e.reason()
 * }
 * }</pre>
 *
 * <p><b>Listeners.</b> What the client receives goes to its {@link MessageListener} (messages,
 * presence, user and server lists); its connection's life cycle to its {@link
 * ConnectionListener} (connected, lost, reconnecting, resumed, session ended, closed). Both are
 * called on the client's one event thread, one call at a time, in the order the events happened,
 * and the futures of {@code send} complete there too: see {@link MessageListener} for the
 * contract.
 *
 * <p><b>Errors.</b> {@code send} and {@code publish} check their arguments first and throw
 * {@link IllegalArgumentException} naming the field ({@code to must be 1-32 of [A-Za-z0-9._-],
 * was 'bad name'}, {@code text must be at most 4096 bytes of UTF-8, was 5000}). Every other
 * outcome is a {@link SendFailedException}: the future of {@code send} fails with it; {@code
 * publish} throws it when the client does not take the message ({@link
 * SendFailedException.Kind#NOT_SENT}) and reports later failures to {@link
 * MessageListener#onPublishFailed}.
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
 * had taken are accepted then, the others are sent again with their numbers, and the messages
 * sent to the client while it moved follow, in order, then new ones — each once (a message had
 * before is dropped). Messages sent while reconnecting are kept (up to 8 MiB of them by default,
 * {@link Builder#reconnectBufferBytes}) and sent after them, in order, as fast as the server
 * takes them. If the session has ended (the cluster holds it for its grace period, 30 s by
 * default), or cannot be resumed at all (it was lost before the server gave it a position), the
 * client is told ({@code onSessionEnded}, with the messages that will never be answered) and
 * joins afresh under its name ({@code onConnected} with {@code afresh} true).
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
  private final MessageListener messages;
  private final ConnectionListener connections;
  /** The one thread every listener call and future completion runs on. */
  private final ListenerDispatcher dispatcher;
  /** The futures of sends not answered yet. */
  private final SendOutcomes outcomes;

  /** Taken first by writers, so frames go out whole and in the order they were numbered. */
  private final ReentrantLock writeLock = new ReentrantLock();

  /** Guards the session; never held while the listener runs or while writing to the socket. */
  private final Object sessionLock = new Object();

  private final ClientSession session;
  /** What the session asked to send while sessionLock was held. */
  private final List<byte[]> toWrite = new ArrayList<>();

  /** Pings and reconnects (the failover policy's ticks); one daemon thread per client. */
  private final ScheduledExecutorService timer;

  /**
   * The failover policy (null without failover): the reader feeds it what it hears, the timer
   * thread ticks it and acts on its decisions. Guarded by sessionLock.
   */
  private final @Nullable Reconnector reconnector;
  /** The timer's next tick of the policy; guarded by sessionLock. */
  private @Nullable ScheduledFuture<?> nextTick;
  /** When the connection was last lost, for the log. */
  private volatile long lostAtNanos;

  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile @Nullable Connection connection;
  private volatile ServerEvent.Servers servers;
  private volatile ServerEvent.@Nullable Welcome welcome;
  /** The welcome (or refusal) the current join attempt waits for. */
  private volatile CompletableFuture<ServerEvent.Welcome> pendingWelcome =
      new CompletableFuture<>();
  /** Set by {@link #close()}: a lost connection is then the end, not a reason to reconnect. */
  private volatile boolean closing;
  /** What {@code onClosed} will say: the server's last words, if it ended the session. */
  private @Nullable String closeReason;

  private MessagingClient(Settings settings, ServerEvent.Servers servers) {
    this.settings = settings;
    this.name = settings.name;
    this.messages = settings.messages;
    this.connections = settings.connections;
    this.dispatcher = new ListenerDispatcher(settings.name);
    this.outcomes = new SendOutcomes(settings.messages, dispatcher);
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
    this.reconnector = settings.failover ? newReconnector(settings) : null;
  }

  private static Reconnector newReconnector(Settings settings) {
    List<Reconnector.Candidate> seeds = new ArrayList<>();
    for (InetSocketAddress address : settings.addresses) {
      seeds.add(new Reconnector.Candidate(address.getHostString(), address.getPort(), null));
    }
    Reconnector.Timings timings = new Reconnector.Timings(
        settings.pingInterval,
        settings.pingTimeout,
        settings.backoffMin,
        settings.backoffMax,
        settings.timeout,
        settings.resumeTimeout);
    return new Reconnector(timings, seeds, new java.util.Random());
  }

  /**
   * Connects to the server at {@code host:port} and joins there as {@code name}, waiting up to
   * {@code timeout} in all (connecting and the server's answer). It stays on that server even if
   * another has more room, and does not fail over: when the connection is lost, the session is
   * over. {@link #builder()} offers a list of addresses, balancing, failover and a {@link
   * ConnectionListener}.
   *
   * @throws JoinRefusedException if the server refused the name (code, reason and redirect inside)
   * @throws SocketTimeoutException if the server did not answer in time
   * @throws IOException if the connection failed or closed before the answer
   * @throws IllegalArgumentException if {@code name} breaks the naming rules (it never leaves this
   *     process)
   */
  public static MessagingClient connect(
      String host, int port, String name, MessageListener listener, Duration timeout)
      throws IOException {
    return builder()
        .address(host, port)
        .name(name)
        .messageListener(listener)
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
    private MessageListener messages = MessageListener.NONE;
    private ConnectionListener connections = ConnectionListener.NONE;
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
      ClientNames.requireValid("user", user);
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

    /**
     * The name to join as: 1-32 ASCII letters, digits, '.', '_' or '-', starting with a letter or
     * digit, unique in the cluster (ignoring case).
     *
     * @throws IllegalArgumentException if it breaks the rules, e.g. {@code name must be 1-32 of
     *     [A-Za-z0-9._-], was 'bad name'}
     */
    public Builder name(String name) {
      this.name = ClientNames.requireValid("name", name);
      return this;
    }

    /**
     * Receives what the client receives (messages, presence, user and server lists), on the
     * client's event thread; default {@link MessageListener#NONE}.
     */
    public Builder messageListener(MessageListener listener) {
      this.messages = Objects.requireNonNull(listener, "messageListener");
      return this;
    }

    /**
     * Both listeners at once, for one object that is both (a console that shows messages and
     * connection news alike): as {@link #messageListener} and {@link #connectionListener}.
     */
    public <L extends MessageListener & ConnectionListener> Builder listener(L listener) {
      return messageListener(listener).connectionListener(listener);
    }

    /**
     * Hears of the connection's life cycle (connected, lost, reconnecting, resumed, session ended,
     * closed), on the client's event thread; default {@link ConnectionListener#NONE}.
     */
    public Builder connectionListener(ConnectionListener listener) {
      this.connections = Objects.requireNonNull(listener, "connectionListener");
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
     * 0 keeps nothing: every send while reconnecting fails. A message that does not
     * fit fails as {@link SendFailedException.Kind#NOT_SENT}, with a message that says the buffer
     * is full and how much waits.
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
          messages,
          connections,
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
      MessageListener messages,
      ConnectionListener connections,
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
      Optional<ServerEvent.ServerInfo> better = first.servers().lessLoadedThanSelf();
      if (better.isPresent()) {
        InetSocketAddress there = first.addressOf(better.get());
        try {
          chosen = probe(there, settings, deadline);
          closeQuietly(first.socket());
          log.debug(
              "{}: {} has more room than {}; joining there", settings.name, there, first.address());
        } catch (IOException e) {
          log.debug(
              "{}: cannot reach the less-loaded {} ({}); staying",
              settings.name,
              there,
              e.toString());
        }
      }
    }
    MessagingClient client = new MessagingClient(settings, chosen.servers());
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
            chosen.address(),
            redirect);
        client.join(probe(redirect, settings, deadline), deadline);
      }
    } catch (IOException | RuntimeException e) {
      client.shutDown();
      throw e;
    }
    client.startPinging();
    // connect() returns once its own events (the server list, onConnected) were delivered.
    client.dispatcher.drain(settings.timeout);
    return client;
  }

  private static @Nullable InetSocketAddress redirectOf(JoinRefusedException e, Probe from) {
    NodeId redirect = e.redirect();
    if (e.code() != ServerEvent.Reason.SERVER_FULL || redirect == null) {
      return null;
    }
    return from.servers().server(redirect).map(from::addressOf).orElse(null);
  }

  /** Tries each address in turn; the first that answers a server list is kept open. */
  private static Probe firstAnswering(
      List<InetSocketAddress> addresses, Settings settings, long deadline) throws IOException {
    return ServerProbe.firstAnswering(addresses, settings.timeout(), settings.tls(), deadline);
  }

  /** Connects and asks for the server list; the socket is left open and unread after it. */
  private static Probe probe(InetSocketAddress unresolved, Settings settings, long deadline)
      throws IOException {
    return ServerProbe.probe(unresolved, settings.timeout(), settings.tls(), deadline);
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
      closeQuietly(at.socket());
      throw e;
    }
    CompletableFuture<ServerEvent.Welcome> answer = new CompletableFuture<>();
    synchronized (sessionLock) {
      if (closing || isClosed()) {
        // An attempt that was on its way when close() ran must not bring the session back.
        closeQuietly(at.socket());
        throw new IOException("the client is closed");
      }
      if (session.state() != ClientSession.State.NEW) {
        session.detach();
      }
      if (!resume && !session.unanswered().isEmpty()) {
        // A hello drops what the session holds unanswered; never silently (a future would stay
        // incomplete, a published message's failure unreported). Not reached while the failover
        // reports an unresumable session as soon as it is lost; kept as the one guard.
        sessionEnded("the client joins afresh, so its earlier session is given up");
      }
      // Frames an earlier attempt's session queued (sends repeated after a resume that came too
      // late) belong to that connection; the next resume sends them again itself.
      toWrite.clear();
      pendingWelcome = answer;
      servers = at.servers();
      connection = joining;
    }
    // The listener hears of the servers first, so it knows where the welcome comes from.
    tell(messages, "onServers", () -> messages.onServers(at.servers()));
    joining.reader.start();
    try {
      request(resume ? ClientSession::resume : s -> s.hello(name));
      return answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      joining.abort();
      throw new SocketTimeoutException("no answer to joining as \"" + name + "\" from "
          + describe(at.address()) + " within " + human(settings.timeout));
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

  /**
   * The session: the name, the session id and the server (another one after a failover, and
   * another id after joining afresh).
   */
  public SessionInfo session() {
    ServerEvent.Welcome latest = welcome;
    if (latest == null) {
      throw new IllegalStateException("not welcomed");
    }
    return info(latest);
  }

  private static SessionInfo info(ServerEvent.Welcome welcome) {
    return new SessionInfo(welcome.name(), welcome.session(), welcome.server().value());
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
   * @return the answer: completes with a {@link SendResult} once the cluster accepted the
   *     message, or fails with a {@link SendFailedException} (rejected by the server; not sent
   *     because the client is closed or cannot keep it while it reconnects; unconfirmed because
   *     its session ended or the client closed first). It completes on the client's event thread,
   *     in order with the listener calls; a message not sent has failed already when {@code
   *     send} returns.
   * @throws IllegalArgumentException if the text is over 4,096 bytes of UTF-8 or not encodable
   *     (the message names the field); nothing is sent
   */
  public CompletableFuture<SendResult> send(String text) {
    return send(null, text);
  }

  /**
   * Sends {@code text} to the client named {@code to}, or to everyone when {@code to} is null;
   * see {@link #send(String)}.
   *
   * @throws IllegalArgumentException if {@code to} is not a valid name or the text cannot be
   *     sent (the message names the field); nothing is sent
   */
  public CompletableFuture<SendResult> send(@Nullable String to, String text) {
    checkArguments(to, text);
    CompletableFuture<SendResult> answer = new CompletableFuture<>();
    try {
      submit(to, text, answer);
    } catch (SendFailedException e) {
      answer.completeExceptionally(e);
    }
    return answer;
  }

  /**
   * Sends {@code text} to everyone without a future, for throughput: an accepted message is not
   * reported, a failed one goes to {@link MessageListener#onPublishFailed}.
   *
   * @return the message's number ({@link SentMessage#number()})
   * @throws IllegalArgumentException as {@link #send(String)}
   * @throws SendFailedException ({@link SendFailedException.Kind#NOT_SENT}) if the client is
   *     closed, or is reconnecting and cannot keep the message (its reconnect buffer is full, or
   *     its session cannot be resumed): the message says which
   */
  public long publish(String text) throws SendFailedException {
    return publish(null, text);
  }

  /**
   * Sends {@code text} to {@code to} (everyone when null) without a future; see {@link
   * #publish(String)}.
   */
  public long publish(@Nullable String to, String text) throws SendFailedException {
    checkArguments(to, text);
    return submit(to, text, null);
  }

  private static void checkArguments(@Nullable String to, String text) {
    if (to != null) {
      ClientNames.requireValid("to", to);
    }
    ClientRequest.Send.requireValidText(text);
  }

  /** Numbers the message, remembers its future (if any) and writes it. */
  private long submit(
      @Nullable String to, String text, @Nullable CompletableFuture<SendResult> answer)
      throws SendFailedException {
    writeLock.lock();
    try {
      long seq;
      List<byte[]> frames;
      Connection current;
      synchronized (sessionLock) {
        checkCanSend(to, text);
        seq = session.send(to, text); // while resuming: kept, and sent once resumed
        outcomes.expect(new SentMessage(seq, to, text), answer); // null: published
        frames = takeFrames();
        current = connection;
      }
      if (current != null) {
        try {
          for (byte[] frame : frames) {
            current.write(frame);
          }
        } catch (IOException e) {
          // Not thrown: the message is numbered and unanswered. With failover it goes again once
          // the session has resumed (or is reported unconfirmed in onSessionEnded); without, the
          // connection is over, and the message is reported unconfirmed when the client closes.
          log.debug("{}: writing message {} failed ({})", name, seq, e.toString());
          if (!settings.failover) {
            current.lostBecause("writing to the server failed: " + why(e));
            closeQuietly(current.socket); // the reader ends, and with it the client
          }
        }
      }
      return seq;
    } finally {
      writeLock.unlock();
    }
  }

  private void checkCanSend(@Nullable String to, String text) throws SendFailedException {
    if (isClosed() || closing) {
      throw SendFailedException.notSent("the client is closed");
    }
    String refusal = session.refusal(to, text);
    if (refusal == null) {
      return;
    }
    if (session.state() == ClientSession.State.JOINED || session.canQueue()) {
      throw SendFailedException.notSent(
          refusal + " (MessagingClient.Builder.reconnectBufferBytes)");
    }
    if (session.state() == ClientSession.State.CLOSED) {
      // The server ended the connection a moment ago; the failover has not taken over yet.
      throw SendFailedException.notSent(
          "not connected: the server just ended the connection; reconnecting to the cluster");
    }
    throw SendFailedException.notSent(
        "not connected: reconnecting to the cluster as a new session (the old one cannot be"
            + " resumed), so nothing is kept until it has joined");
  }

  /**
   * Asks who is connected; the answer arrives at {@link MessageListener#onUsers}.
   *
   * @throws IOException if the client is not connected (closed, or reconnecting) or writing failed
   */
  public void listUsers() throws IOException {
    request(ClientSession::listUsers);
  }

  /**
   * Asks for the servers and their loads; the answer arrives at {@link MessageListener#onServers}.
   *
   * @throws IOException if the client is not connected (closed, or reconnecting) or writing failed
   */
  public void listServers() throws IOException {
    request(ClientSession::listServers);
  }

  /** Has the session make one request, and writes it to the current connection. */
  private void request(Consumer<ClientSession> ask) throws IOException {
    writeLock.lock();
    try {
      requestLocked(ask);
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * As {@link #request}, unless another write holds the socket for longer than {@code wait} (a
   * server that stopped reading fills the socket's buffer, and a blocking write then has no
   * timeout): then nothing is asked and this returns false, so a ping or a goodbye never hangs
   * behind it; the silence check goes on and closes the socket, which ends that write.
   */
  private boolean tryRequest(Consumer<ClientSession> ask, Duration wait) throws IOException {
    try {
      if (!writeLock.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS)) {
        return false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    try {
      requestLocked(ask);
      return true;
    } finally {
      writeLock.unlock();
    }
  }

  /** With writeLock held: lets {@code ask} use the session, then writes what it queued. */
  private void requestLocked(Consumer<ClientSession> ask) throws IOException {
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
   * connection; no reconnecting after this. Messages still unanswered fail as {@link
   * SendFailedException.Kind#UNCONFIRMED}. Returns once the listeners have had their last call
   * ({@code onClosed}), waiting up to {@value #LISTENER_WAIT_SECONDS} s for them. Safe to call
   * more than once.
   *
   * <p>Called from a listener (on the event thread), it cannot wait for the event thread, nor for
   * the reader, which may itself wait for the event thread: it returns at once, the client takes
   * no more messages ({@code send} fails as {@link SendFailedException.Kind#NOT_SENT}), and the
   * rest of the closing (the goodbye, the unanswered messages failing, then {@code onClosed}) is
   * done by a short-lived thread, {@code ringleader-client-close-<name>}; those calls are made
   * after the listener call that closed returns, as usual on the event thread, and {@link
   * #isClosed()} turns true once they are handed over.
   */
  @Override
  public void close() {
    if (dispatcher.isDispatchThread()) {
      closeInBackground();
      return;
    }
    closing = true;
    timer.shutdownNow();
    Connection current = connection;
    if (current != null && !isClosed()) {
      try {
        boolean joined;
        synchronized (sessionLock) {
          joined = session.state() == ClientSession.State.JOINED;
        }
        if (joined && !tryRequest(ClientSession::bye, GOODBYE_WAIT)) {
          log.debug("{}: no goodbye: a write to the server is stuck", name);
        }
      } catch (IOException e) {
        log.debug("{}: sending goodbye failed: {}", name, e.toString());
      }
      current.awaitEnd(GOODBYE_WAIT);
    }
    shutDown();
    dispatcher.awaitStopped(Duration.ofSeconds(LISTENER_WAIT_SECONDS));
  }

  /** {@link #close()} from a listener: see there. */
  private void closeInBackground() {
    boolean first;
    synchronized (sessionLock) {
      first = !closing && !isClosed();
      closing = true; // no more sends, nor reconnects
    }
    if (!first) {
      return; // closing already, or closed
    }
    Thread closer = new Thread(this::close, "ringleader-client-close-" + name);
    closer.setDaemon(true);
    closer.start();
  }

  /** How long {@link #close()} waits for the listeners to finish their calls. */
  private static final int LISTENER_WAIT_SECONDS = 5;

  /** Closes everything without a goodbye; the listener hears {@code onClosed} once. */
  private void shutDown() {
    closing = true;
    timer.shutdownNow();
    synchronized (sessionLock) {
      if (reconnector != null) {
        reconnector.close();
      }
    }
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

  /** The client is over: the listener hears {@code onClosed} once. */
  private void end() {
    synchronized (sessionLock) {
      if (closed.getCount() > 0) {
        finish();
      }
    }
  }

  /**
   * With sessionLock held, once: the client is over. The messages still unanswered fail as
   * unconfirmed, the connection listener hears {@code onClosed} last, and the event thread ends
   * once it has made these calls.
   */
  private void finish() {
    closed.countDown();
    if (session.state() != ClientSession.State.CLOSED) {
      session.onDisconnected(); // the relay records the reason: none
    }
    // Every message not answered yet, not only those the session still lists: a future must
    // never outlive the client (the event thread ends below, and with it every completion).
    outcomes.unconfirmedAll("the client closed before the server answered");
    if (welcome != null) { // a client whose connect() failed was never connected: no onClosed
      String reason = closeReason;
      // Queued and stopped at once: a call handed over without sessionLock (onConnectionLost,
      // onReconnecting) by a thread racing this one is dropped rather than made after onClosed.
      dispatcher.executeLast(connections, "onClosed", () -> connections.onClosed(reason));
    } else {
      dispatcher.stop();
    }
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

  // The policy (Reconnector, in core) decides; this side only feeds it what the connection and
  // the clock say, and does what it decides, on the timer thread.

  private void startPinging() {
    scheduleTick();
  }

  /** What the reader heard, for the policy (sessionLock held): a sign of life, or a welcome. */
  private void tellPolicy(Connection from, ServerEvent event) {
    Reconnector policy = reconnector;
    if (policy == null) {
      return;
    }
    long now = System.nanoTime();
    policy.heard(now);
    if ((event instanceof ServerEvent.Welcome || event instanceof ServerEvent.Resumed)
        && session.state() == ClientSession.State.JOINED
        && welcome != null) {
      NodeId server = Objects.requireNonNull(welcome).server();
      policy.connected(
          now,
          server,
          new Reconnector.Candidate(from.address.getHostString(), from.address.getPort(), server));
      scheduleTick();
    }
  }

  /** Has the timer tick the policy when it next has something to do. */
  private void scheduleTick() {
    Reconnector policy = reconnector;
    if (policy == null || closing) {
      return;
    }
    synchronized (sessionLock) {
      long deadline = policy.nextDeadlineNanos();
      ScheduledFuture<?> before = nextTick;
      if (before != null) {
        before.cancel(false);
        nextTick = null;
      }
      if (deadline == Long.MAX_VALUE) {
        return;
      }
      long delay = deadline == Long.MIN_VALUE ? 0 : Math.max(0, deadline - System.nanoTime());
      try {
        nextTick = timer.schedule(this::tick, delay, TimeUnit.NANOSECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        log.debug("{}: closed; no more pings nor reconnects", name);
      }
    }
  }

  /** On the timer thread: does what the policy says is due, then waits for its next deadline. */
  private void tick() {
    Reconnector policy = Objects.requireNonNull(reconnector);
    while (!closing) {
      List<Reconnector.Action> actions;
      synchronized (sessionLock) {
        actions = policy.onTick(System.nanoTime());
      }
      if (actions.isEmpty()) {
        break;
      }
      for (Reconnector.Action action : actions) {
        if (closing) {
          return;
        }
        act(action);
      }
    }
    scheduleTick();
  }

  private void act(Reconnector.Action action) {
    Connection current = connection;
    if (action instanceof Reconnector.SendPing) {
      if (current == null || !current.welcomed || current.ended.getCount() == 0) {
        return;
      }
      try {
        // The answer proves the server alive; a write stuck behind a server that stopped reading
        // skips the ping, and the silence check drops that server.
        tryRequest(ClientSession::listServers, Duration.ZERO);
      } catch (IOException e) {
        current.lostBecause("writing to " + serverName(current) + " failed: " + why(e));
        current.abort();
      }
    } else if (action instanceof Reconnector.DropServer drop) {
      if (current != null) {
        current.lostBecause(drop.reason());
        current.abort(); // the reader ends, and reports the loss
      }
    } else if (action instanceof Reconnector.Attempt attempt) {
      attempt(attempt);
    } else if (action instanceof Reconnector.AbandonAttempt abandon) {
      // Attempts here block until answered or timed out, and report it; nothing is left over.
      log.debug("{}: gave up the attempt at {}: {}", name, abandon.to(), abandon.reason());
    } else if (action instanceof Reconnector.SessionEnded ended) {
      sessionEnded(ended.reason());
    } else if (action instanceof Reconnector.RoundFailed failed) {
      log.debug("{}: reconnect round {} failed: {}", name, failed.round(), failed.failures());
      tell(
          connections,
          "onReconnecting",
          () -> connections.onReconnecting(
              failed.round(), failed.failures(), failed.nextRoundWithin()));
    } else if (action instanceof Reconnector.GiveUp giveUp) {
      giveUp(giveUp.reason());
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
        if (closed.getCount() > 0) {
          finish(); // the end of the client
        }
        unconfirmed = null;
      } else {
        unconfirmed = session.detach();
      }
    }
    if (unconfirmed == null) {
      timer.shutdownNow();
      return;
    }
    NodeId lost = Objects.requireNonNull(welcome).server();
    log.debug("{}: lost the connection to {} ({}); reconnecting", name, lost, reason);
    List<SentMessage> unanswered = SendOutcomes.sent(unconfirmed);
    tell(connections, "onConnectionLost", () -> connections.onConnectionLost(reason, unanswered));
    // The policy hears of the loss here, on the reader thread, not behind the listener's queue:
    // a slow listener must not hold failover up. What the listener sends meanwhile is kept (the
    // session was detached above, and stays resumable).
    lostAtNanos = System.nanoTime();
    synchronized (sessionLock) {
      Reconnector policy = Objects.requireNonNull(reconnector);
      boolean resumable = session.canResume();
      if (!resumable) {
        // The policy will join afresh, and a hello drops what the session holds: those messages
        // are reported now (onSessionEnded, their futures), before the new session's onConnected.
        sessionEnded("it cannot be resumed: the connection was lost before the server gave it a"
            + " position to resume from");
      }
      policy.servers(servers);
      policy.connectionLost(lostAtNanos, reason, resumable);
    }
    scheduleTick();
  }

  /** Connects to the attempt's server, resumes or joins there, and tells the policy how it went. */
  private void attempt(Reconnector.Attempt attempt) {
    Reconnector policy = Objects.requireNonNull(reconnector);
    InetSocketAddress candidate =
        InetSocketAddress.createUnresolved(attempt.to().host(), attempt.to().port());
    boolean resume;
    synchronized (sessionLock) {
      if (closing || isClosed()) {
        return; // close() ran after the policy chose this attempt: the session stays closed
      }
      if (session.state() != ClientSession.State.NEW) {
        session.detach(); // an earlier attempt that timed out or was turned away
      }
      resume = attempt.resume() && session.canResume();
    }
    try {
      Probe probe = probe(candidate, settings, attempt.deadlineNanos());
      synchronized (sessionLock) {
        policy.servers(probe.servers()); // a redirect names a server of this list
      }
      ServerEvent.Welcome welcomed = join(probe, attempt.deadlineNanos(), resume);
      // The reader has told the policy of the welcome already.
      log.debug(
          "{}: reconnected to {} after {} ms",
          name,
          welcomed.server(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lostAtNanos));
    } catch (JoinRefusedException e) {
      synchronized (sessionLock) {
        policy.refused(System.nanoTime(), e.code(), e.reason(), e.redirect());
      }
    } catch (IOException e) {
      synchronized (sessionLock) {
        policy.attemptFailed(System.nanoTime(), why(e));
      }
    }
  }

  /** The cluster no longer accepts this client's credential: the client ends. */
  private void giveUp(String why) {
    log.warn("{}: {}; giving up", name, why);
    synchronized (sessionLock) {
      closeReason = why; // the connection listener hears it in onClosed, last
    }
    shutDown();
  }

  /** The session cannot be resumed: its unanswered messages are given up, and the user told. */
  private void sessionEnded(String reason) {
    synchronized (sessionLock) {
      List<ClientRequest.Send> lost = session.abandon();
      session.detach();
      log.debug("{}: the session ended ({}); joining afresh", name, reason);
      List<SentMessage> unconfirmed = SendOutcomes.sent(lost);
      tell(connections, "onSessionEnded", () -> connections.onSessionEnded(reason, unconfirmed));
      outcomes.unconfirmed(lost, "the session ended: " + reason);
    }
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
    volatile @Nullable String lostReason;

    Connection(Probe probe) throws IOException {
      this.socket = probe.socket();
      this.out = socket.getOutputStream();
      this.address = probe.address();
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
          boolean over;
          boolean queued;
          synchronized (sessionLock) {
            if (connection != this) {
              break; // replaced: a late frame of an abandoned join
            }
            session.onEvent(event);
            tellPolicy(this, event);
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
          // A slow listener slows the reading, as the server's back-pressure expects.
          dispatcher.awaitRoom();
          if (event instanceof ServerEvent.Goodbye goodbye) {
            reason = "the server said goodbye: " + goodbye.reason();
            saidGoodbye = true;
          }
          if (over) {
            break;
          }
        }
      } catch (InterruptedException e) {
        reason = "interrupted";
        Thread.currentThread().interrupt();
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

  /**
   * Hands a call of {@code listener}'s {@code method} to the event thread; never blocks, so it may
   * be called with sessionLock held, which keeps the calls in the order of the events. The names
   * are for the log, should the listener throw.
   */
  private void tell(Object listener, String method, Runnable call) {
    dispatcher.execute(listener, method, call);
  }

  /**
   * Turns the session's calls (sessionLock is held) into the user's listener calls, handed to the
   * event thread in order, and settles the join.
   */
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
      SessionInfo info = info(w);
      // Handed over before the joiner wakes: connect() drains the calls made before it returns.
      tell(connections, "onConnected", () -> connections.onConnected(info, again));
      pendingWelcome.complete(w);
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
      SessionInfo info = info(w);
      tell(connections, "onResumed", () -> connections.onResumed(info, r.complete()));
      pendingWelcome.complete(w);
    }

    @Override
    public void onRefused(ServerEvent.Refused refused) {
      if (refused.code() != ServerEvent.Reason.PROTOCOL_ERROR) {
        pendingWelcome.completeExceptionally(new JoinRefusedException(name, refused));
      } else {
        log.warn("{}: the server complains of a protocol error: {}", name, refused.reason());
      }
    }

    @Override
    public void onAccepted(long seq) {
      outcomes.accepted(seq);
    }

    @Override
    public void onRejected(ClientRequest.Send send, ServerEvent.Rejected rejected) {
      outcomes.rejected(send, rejected);
    }

    @Override
    public void onMessage(ServerEvent.Message message) {
      ReceivedMessage received = new ReceivedMessage(message.from(), message.to(), message.text());
      tell(messages, "onMessage", () -> messages.onMessage(received));
    }

    @Override
    public void onPresence(ServerEvent.Presence presence) {
      tell(messages, "onPresence", () -> messages.onPresence(presence));
    }

    @Override
    public void onUsers(ServerEvent.Users users) {
      tell(messages, "onUsers", () -> messages.onUsers(users.names()));
    }

    @Override
    public void onServers(ServerEvent.Servers list) {
      servers = list;
      tell(messages, "onServers", () -> messages.onServers(list));
    }

    @Override
    public void onClosed(@Nullable String reason) {
      pendingWelcome.completeExceptionally(new IOException(
          "the server ended the session before welcoming \"" + name + "\": " + reason));
      if (!reconnecting()) {
        closeReason = reason; // told in onClosed, last, when the client ends
      }
    }
  }
}
