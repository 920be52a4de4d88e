package io.github.ringleader.messaging.transport.tcp;

import io.github.ringleader.messaging.transport.tls.PemFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server's TLS identity, kept current: loads the key material of {@link TlsServerSettings} into
 * an {@link SSLContext} (TLS 1.3 only), makes one {@link SSLEngine} per accepted connection, and
 * reloads the files when they change. A change that does not load (a file unreadable or not PEM,
 * a key that is not the certificate's) leaves the old identity in use and is logged as an ERROR
 * saying why, once per distinct bad state; connections already open keep the identity they
 * started with.
 *
 * <p>The client listener's selector thread uses it; a test may call {@link #reloadIfChanged()}
 * (which checks at once) from its own thread. Time is passed in ({@code nowNanos}), so a test
 * decides when a check is due.
 */
final class ServerTls {
  private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

  /** The only protocol offered: TLS 1.2 and older are refused. */
  static final String PROTOCOL = PemFiles.TLS_PROTOCOL;

  /** A certificate that expires sooner than this is warned about at every load. */
  static final Duration EXPIRY_WARNING = Duration.ofDays(30);

  private final TlsServerSettings settings;
  private final Clock wallClock;
  private final long checkIntervalNanos;

  private volatile Loaded current;
  /** What the files were when last checked: their hash, or why they could not be read. */
  private String lastSeen;

  private long nextCheckNanos;
  private int reloads;

  /** An identity loaded from the files as they were ({@code seen}). */
  private record Loaded(SSLContext context, X509Certificate certificate, boolean needClientAuth) {}

  private ServerTls(
      TlsServerSettings settings, Clock wallClock, long nowNanos, Loaded first, String seen) {
    this.settings = settings;
    this.wallClock = wallClock;
    this.checkIntervalNanos = settings.reloadCheckInterval().toNanos();
    this.current = first;
    this.lastSeen = seen;
    this.nextCheckNanos = nowNanos + checkIntervalNanos;
  }

  /**
   * Loads the files of {@code settings}.
   *
   * @throws IOException naming the file and what is wrong with it, if they do not load
   */
  static ServerTls load(TlsServerSettings settings, Clock wallClock, long nowNanos)
      throws IOException {
    Loaded first = loadFiles(settings); // first: its errors name the file and the problem
    String seen = fingerprint(settings);
    logIdentity(first.certificate(), wallClock, "TLS on the client port");
    return new ServerTls(settings, wallClock, nowNanos, first, seen);
  }

  /** A server-side engine for a connection from {@code host:port}, with the current identity. */
  SSLEngine newEngine(String host, int port) {
    SSLEngine engine = current.context().createSSLEngine(host, port);
    engine.setUseClientMode(false);
    engine.setEnabledProtocols(new String[] {PROTOCOL});
    engine.setNeedClientAuth(current.needClientAuth());
    return engine;
  }

  /** The certificate served to new connections. */
  X509Certificate certificate() {
    return current.certificate();
  }

  /** How many times a changed set of files was loaded since start. */
  synchronized int reloads() {
    return reloads;
  }

  /**
   * If a check is due by {@code nowNanos} (every {@link TlsServerSettings#reloadCheckInterval()};
   * never when that is zero), does {@link #reloadIfChanged()}. Cheap when no check is due.
   */
  synchronized boolean reloadIfDue(long nowNanos) {
    if (checkIntervalNanos == 0 || nowNanos - nextCheckNanos < 0) {
      return false;
    }
    nextCheckNanos = nowNanos + checkIntervalNanos;
    return reloadIfChanged();
  }

  /**
   * Reads the files and, if they changed since last seen, loads them for new connections.
   *
   * @return whether a new identity is in use
   */
  synchronized boolean reloadIfChanged() {
    String seen;
    try {
      seen = fingerprint(settings);
    } catch (IOException e) {
      seen = "unreadable: " + e.getMessage();
    }
    if (seen.equals(lastSeen)) {
      return false;
    }
    lastSeen = seen;
    try {
      if (seen.startsWith("unreadable: ")) {
        throw new IOException(seen.substring("unreadable: ".length()));
      }
      Loaded next = loadFiles(settings);
      current = next;
      reloads++;
      logIdentity(
          next.certificate(), wallClock, "reloaded the TLS certificate; new connections get it");
      return true;
    } catch (IOException e) {
      log.error(
          "the TLS key material changed but cannot be used, so the server keeps the certificate"
              + " it had ({}, expires {}): {}",
          current.certificate().getSubjectX500Principal().getName(),
          current.certificate().getNotAfter().toInstant(),
          e.getMessage());
      return false;
    }
  }

  private static void logIdentity(X509Certificate certificate, Clock wallClock, String what) {
    String subject = certificate.getSubjectX500Principal().getName();
    Instant notAfter = certificate.getNotAfter().toInstant();
    String problem = expiryProblem(notAfter, wallClock.instant());
    if (problem != null) {
      log.warn("{}: certificate {} {}", what, subject, problem);
    } else {
      log.info("{}: certificate {}, expires {}", what, subject, notAfter);
    }
  }

  /**
   * What is wrong with a certificate valid until {@code notAfter}, seen at {@code now}: expired,
   * or expiring within {@link #EXPIRY_WARNING}; null when neither.
   */
  static @Nullable String expiryProblem(Instant notAfter, Instant now) {
    if (!notAfter.isAfter(now)) {
      return "EXPIRED at " + notAfter + ": clients will refuse it";
    }
    if (notAfter.isBefore(now.plus(EXPIRY_WARNING))) {
      return "expires soon, at " + notAfter + " (in "
          + Duration.between(now, notAfter).toDays() + " days)";
    }
    return null;
  }

  static Loaded loadFiles(TlsServerSettings settings) throws IOException {
    KeyStore identity;
    char[] password = "ringleader".toCharArray(); // of the in-memory store only
    X509Certificate certificate;
    Path pkcs12 = settings.pkcs12();
    PrivateKey key;
    List<X509Certificate> chain;
    if (pkcs12 != null) {
      char[] filePassword = settings.pkcs12Password();
      KeyStore file = pkcs12Store(pkcs12, filePassword);
      String alias = null;
      try {
        for (String a : Collections.list(file.aliases())) {
          if (file.isKeyEntry(a)) {
            alias = a;
            break;
          }
        }
        if (alias == null) {
          throw new IOException(pkcs12 + ": holds no private key entry");
        }
        Key k = file.getKey(alias, filePassword);
        Certificate[] certificates = file.getCertificateChain(alias);
        if (!(k instanceof PrivateKey pk) || certificates == null || certificates.length == 0) {
          throw new IOException(pkcs12 + ": entry \"" + alias + "\" has no certificate chain");
        }
        key = pk;
        chain = Arrays.stream(certificates).map(c -> (X509Certificate) c).toList();
      } catch (GeneralSecurityException e) {
        throw new IOException(pkcs12 + ": cannot read its key: " + e.getMessage(), e);
      } finally {
        Arrays.fill(filePassword, '\0'); // a copy (pkcs12Password returns one each time)
      }
      if (!PemFiles.matches(key, chain.get(0))) {
        throw new IOException(pkcs12 + ": the private key does not match the certificate");
      }
    } else {
      Path certFile = java.util.Objects.requireNonNull(settings.certificateChain());
      Path keyFile = java.util.Objects.requireNonNull(settings.privateKey());
      chain = PemFiles.certificates(certFile);
      key = PemFiles.privateKey(keyFile);
      if (!PemFiles.matches(key, chain.get(0))) {
        throw new IOException(
            "the private key in " + keyFile + " does not match the certificate in " + certFile
                + " (" + chain.get(0).getSubjectX500Principal().getName() + ")");
      }
    }
    certificate = chain.get(0);
    try {
      identity = KeyStore.getInstance("PKCS12");
      identity.load(null, null);
      identity.setKeyEntry("server", key, password, chain.toArray(new Certificate[0]));
      KeyManagerFactory keys =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(identity, password);
      Path ca = settings.clientCa();
      TrustManagerFactory trust = ca == null ? null : PemFiles.trustFactory(ca);
      SSLContext context = SSLContext.getInstance(PROTOCOL);
      context.init(keys.getKeyManagers(), trust == null ? null : trust.getTrustManagers(), null);
      return new Loaded(context, certificate, ca != null);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS with this key material: " + e.getMessage(), e);
    }
  }

  private static KeyStore pkcs12Store(Path file, char[] password) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": no such file");
    }
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password);
      return store;
    } catch (GeneralSecurityException | IOException e) {
      throw new IOException(
          file + ": not a PKCS12 file, or the wrong password: " + e.getMessage(), e);
    }
  }

  /** A hash of every file's bytes, so any change (even one keeping size and time) is seen. */
  private static String fingerprint(TlsServerSettings settings) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (@Nullable
    Path file : Arrays.asList(
        settings.certificateChain(),
        settings.privateKey(),
        settings.pkcs12(),
        settings.clientCa())) {
      if (file == null) {
        continue;
      }
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(file);
      } catch (java.nio.file.NoSuchFileException e) {
        throw new IOException(file + ": no such file", e);
      } catch (IOException e) {
        throw new IOException(file + ": cannot read it: " + e, e);
      }
      all.writeBytes(file.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      all.write(0);
      all.writeBytes(digest.digest(bytes));
      Arrays.fill(bytes, (byte) 0); // the key file's bytes: keep no copy
    }
    return HexFormat.of().formatHex(digest.digest(all.toByteArray()));
  }
}
