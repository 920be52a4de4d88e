package io.github.ringleader.messaging.transport.tcp;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@link TcpClientServer} finds its TLS key material, for {@link
 * TcpServerConfig.Builder#tls}: a PEM certificate chain and a PEM private key, or a PKCS12 file;
 * optionally a PEM CA whose certificates clients must present (mutual TLS). Immutable; only paths
 * (and a PKCS12 password) are kept: the files are read when the server starts and again whenever
 * they change (see {@link #reloadCheckInterval()}).
 */
public final class TlsServerSettings {
  /** How often the files are checked for changes by default. */
  public static final Duration DEFAULT_RELOAD_CHECK_INTERVAL = Duration.ofSeconds(5);

  private final @Nullable Path certificateChain;
  private final @Nullable Path privateKey;
  private final @Nullable Path pkcs12;
  private final char[] pkcs12Password;
  private final @Nullable Path clientCa;
  private final Duration reloadCheckInterval;

  private TlsServerSettings(
      @Nullable Path certificateChain,
      @Nullable Path privateKey,
      @Nullable Path pkcs12,
      char[] pkcs12Password,
      @Nullable Path clientCa,
      Duration reloadCheckInterval) {
    this.certificateChain = certificateChain;
    this.privateKey = privateKey;
    this.pkcs12 = pkcs12;
    this.pkcs12Password = pkcs12Password;
    this.clientCa = clientCa;
    this.reloadCheckInterval = reloadCheckInterval;
  }

  /**
   * A PEM certificate chain (the server's certificate first, then any intermediates) and its PEM
   * private key (PKCS#8 {@code BEGIN PRIVATE KEY}, or {@code BEGIN RSA/EC PRIVATE KEY};
   * unencrypted).
   */
  public static TlsServerSettings pem(Path certificateChain, Path privateKey) {
    return new TlsServerSettings(
        Objects.requireNonNull(certificateChain, "certificateChain"),
        Objects.requireNonNull(privateKey, "privateKey"),
        null,
        new char[0],
        null,
        DEFAULT_RELOAD_CHECK_INTERVAL);
  }

  /** A PKCS12 file holding one private key entry (its certificate chain with it). */
  public static TlsServerSettings pkcs12(Path file, char[] password) {
    return new TlsServerSettings(
        null,
        null,
        Objects.requireNonNull(file, "file"),
        Objects.requireNonNull(password, "password").clone(),
        null,
        DEFAULT_RELOAD_CHECK_INTERVAL);
  }

  /**
   * These settings, requiring every client to present a certificate signed by a CA of {@code
   * caPem} (mutual TLS); a client without one fails the handshake.
   */
  public TlsServerSettings requireClientCertificates(Path caPem) {
    return new TlsServerSettings(
        certificateChain,
        privateKey,
        pkcs12,
        pkcs12Password,
        Objects.requireNonNull(caPem, "caPem"),
        reloadCheckInterval);
  }

  /**
   * These settings, checking the files for changes this often ({@link Duration#ZERO}: never; they
   * are read once at start). A change is loaded for the connections accepted after it.
   */
  public TlsServerSettings reloadCheckInterval(Duration interval) {
    if (interval.isNegative()) {
      throw new IllegalArgumentException("reloadCheckInterval must be >= 0, was " + interval);
    }
    return new TlsServerSettings(
        certificateChain, privateKey, pkcs12, pkcs12Password, clientCa, interval);
  }

  /** The PEM certificate chain, or null when the material is in {@link #pkcs12()}. */
  public @Nullable Path certificateChain() {
    return certificateChain;
  }

  public @Nullable Path privateKey() {
    return privateKey;
  }

  public @Nullable Path pkcs12() {
    return pkcs12;
  }

  char[] pkcs12Password() {
    return pkcs12Password.clone();
  }

  /** The CA clients' certificates must be signed by, or null: clients present none. */
  public @Nullable Path clientCa() {
    return clientCa;
  }

  public Duration reloadCheckInterval() {
    return reloadCheckInterval;
  }

  /**
   * Reads the files as a server does when it starts, without starting one: for a command line
   * that wants to report bad files before it does anything else.
   *
   * @throws java.io.IOException naming the file and what is wrong with it
   */
  public void check() throws java.io.IOException {
    ServerTls.loadFiles(this);
  }

  @Override
  public String toString() {
    return "TlsServerSettings{"
        + (pkcs12 != null ? "pkcs12=" + pkcs12 : "cert=" + certificateChain + ", key=" + privateKey)
        + (clientCa != null ? ", clientCa=" + clientCa : "")
        + ", reloadCheckInterval=" + reloadCheckInterval + "}";
  }
}
