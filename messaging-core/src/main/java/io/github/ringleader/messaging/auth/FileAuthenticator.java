package io.github.ringleader.messaging.auth;

import io.github.ringleader.messaging.loop.WorkerPools;
import io.github.ringleader.messaging.routing.ClientNames;
import io.github.ringleader.messaging.session.Credential;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link Authenticator} over a {@link UsersFile}: a client proves it is a user with that user's
 * password, and may take the user's own name or one the user's patterns allow.
 *
 * <p><b>Where the work runs.</b> Checking a password costs a PBKDF2 hash (tens to hundreds of
 * milliseconds), so it runs on a small pool of its own ({@code threads} daemon threads), never on
 * the caller's thread: the node's event loop and the TCP selector stay free for heartbeats and
 * other clients. The pool's queue is bounded ({@code queue}); an attempt that finds it full is
 * refused at once with {@link ClientAuthFailure#BUSY} ("try again").
 *
 * <p><b>Timing.</b> An unknown user is checked against a dummy hash with as many iterations as
 * the file's costliest entry, so that a refusal takes as long for a name that does not exist as
 * for a wrong password, and user names cannot be found out by timing. The client is told the
 * same words for both.
 *
 * <p><b>Reloading.</b> The file is looked at again, by the pool, before an attempt at most once
 * a second: a changed file (modification time or size) is read anew, so users can be added and
 * removed without restarting. A changed file that is not valid is logged and the users read
 * before are kept. Reading happens on the pool too, never on the caller's thread.
 */
public final class FileAuthenticator implements Authenticator, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FileAuthenticator.class);

  /** Threads and queued attempts of the verifier pool, unless given. */
  public static final int DEFAULT_THREADS = 2;

  public static final int DEFAULT_QUEUE = 32;

  private static final long RELOAD_CHECK_NANOS = 1_000_000_000L;

  private record Loaded(
      Map<String, UserEntry> users,
      UserEntry dummy,
      @Nullable FileTime modified,
      long size) {}

  private final Path file;
  private final LongSupplier nanoClock;
  private final ExecutorService pool;
  private final UserEntry dummyTemplate;
  private volatile Loaded loaded;
  private long nextCheckNanos;
  /** Runs on the pool before each check; tests use it to hold the pool busy. */
  volatile Runnable beforeCheck = () -> {};

  private FileAuthenticator(Path file, int threads, int queue, LongSupplier nanoClock)
      throws IOException {
    this.file = Objects.requireNonNull(file, "file");
    this.nanoClock = nanoClock;
    SecureRandom random = new SecureRandom();
    byte[] dummyHash = new byte[PasswordHashes.HASH_BYTES];
    random.nextBytes(dummyHash);
    this.dummyTemplate = new UserEntry(
        "dummy",
        PasswordHashes.MIN_ITERATIONS,
        PasswordHashes.newSalt(random),
        dummyHash,
        List.of());
    this.loaded = load();
    this.nextCheckNanos = nanoClock.getAsLong() + RELOAD_CHECK_NANOS;
    this.pool = WorkerPools.bounded("ringleader-auth", threads, queue);
  }

  /**
   * Reads {@code file} and starts the verifier pool ({@link #DEFAULT_THREADS} threads, {@link
   * #DEFAULT_QUEUE} queued attempts).
   *
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it is not a valid users file (the message names the line)
   */
  public static FileAuthenticator open(Path file) throws IOException {
    return open(file, DEFAULT_THREADS, DEFAULT_QUEUE);
  }

  /** As {@link #open(Path)}, with the pool's size and queue. */
  public static FileAuthenticator open(Path file, int threads, int queue) throws IOException {
    return open(file, threads, queue, System::nanoTime);
  }

  /** As {@link #open(Path, int, int)}, with the clock that paces the look at the file. */
  static FileAuthenticator open(Path file, int threads, int queue, LongSupplier nanoClock)
      throws IOException {
    if (threads < 1 || queue < 1) {
      throw new IllegalArgumentException(
          "threads and queue must be >= 1, were " + threads + ", " + queue);
    }
    return new FileAuthenticator(file, threads, queue, nanoClock);
  }

  /** The users as last read. */
  public Map<String, UserEntry> users() {
    return loaded.users();
  }

  @Override
  public CompletionStage<AuthDecision> authenticate(AuthAttempt attempt) {
    Credential credential = attempt.credential();
    if (credential == null) {
      return CompletableFuture.completedFuture(AuthDecision.noCredential());
    }
    CompletableFuture<AuthDecision> answer = new CompletableFuture<>();
    try {
      pool.execute(() -> {
        try {
          beforeCheck.run();
          answer.complete(check(attempt.name(), credential));
        } catch (RuntimeException e) {
          answer.completeExceptionally(e);
        }
      });
    } catch (RejectedExecutionException e) {
      answer.complete(AuthDecision.refuse(
          ClientAuthFailure.BUSY,
          credential.user(),
          "too many sign-ins are being checked; try again in a moment"));
    }
    return answer;
  }

  /** The decision for one attempt; runs on the pool. */
  AuthDecision check(String name, Credential credential) {
    reloadIfChanged();
    Loaded now = loaded;
    String user = credential.user();
    UserEntry entry = now.users().get(ClientNames.key(user));
    char[] secret = credential.secret();
    try {
      if (entry == null) {
        now.dummy()
            .passwordMatches(secret); // as long as a real check, so unknown names do not show
        return AuthDecision.refuse(
            ClientAuthFailure.UNKNOWN_USER, user, AuthDecision.WRONG_CREDENTIAL);
      }
      if (!entry.passwordMatches(secret)) {
        return AuthDecision.refuse(
            ClientAuthFailure.WRONG_SECRET, user, AuthDecision.WRONG_CREDENTIAL);
      }
    } finally {
      Arrays.fill(secret, '\0');
    }
    if (!entry.mayTake(name)) {
      return AuthDecision.nameNotAllowed(entry.name(), name);
    }
    return AuthDecision.allow(entry.name());
  }

  private synchronized void reloadIfChanged() {
    long now = nanoClock.getAsLong();
    if (now - nextCheckNanos < 0) {
      return;
    }
    nextCheckNanos = now + RELOAD_CHECK_NANOS;
    Loaded before = loaded;
    try {
      FileTime modified = Files.getLastModifiedTime(file);
      long size = Files.size(file);
      if (modified.equals(before.modified()) && size == before.size()) {
        return;
      }
      loaded = load();
      log.info("users file {} changed: {} users now", file, loaded.users().size());
    } catch (NoSuchFileException e) {
      log.warn(
          "users file {} is gone; keeping the {} users read before",
          file,
          before.users().size());
    } catch (IOException | IllegalArgumentException e) {
      log.warn(
          "users file {} changed but cannot be used ({}); keeping the {} users read before",
          file,
          e.getMessage(),
          before.users().size());
    }
  }

  private Loaded load() throws IOException {
    FileTime modified = Files.getLastModifiedTime(file);
    long size = Files.size(file);
    Map<String, UserEntry> users = UsersFile.read(file);
    int costliest = PasswordHashes.MIN_ITERATIONS;
    for (UserEntry entry : users.values()) {
      costliest = Math.max(costliest, entry.iterations());
    }
    UserEntry dummy =
        new UserEntry("dummy", costliest, dummyTemplate.salt(), dummyTemplate.hash(), List.of());
    return new Loaded(Map.copyOf(users), dummy, modified, size);
  }

  /** Stops the verifier pool; attempts under way finish. */
  @Override
  public void close() {
    pool.shutdown();
  }
}
