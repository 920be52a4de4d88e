package io.github.ringleader.messaging.client;

import io.github.ringleader.messaging.transport.tls.PemFiles;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link MessagingClient} speaks TLS to its servers, for {@link
 * MessagingClient.Builder#tls}: TLS 1.3, trusting only the certificates of one PEM file (the
 * server's own certificate, or the CA that signed it), checking that the certificate names the
 * host the client dialled (as HTTPS does: its DNS or IP subject alternative names) unless turned
 * off, and optionally presenting a client certificate for servers that require one. The files are
 * read when this is built; a bad file fails here, naming the file.
 */
public final class ClientTls {
  private final SSLContext context;
  private final boolean verifyHostname;
  private final String trustSource;
  private final boolean presentsCertificate;

  private ClientTls(
      SSLContext context, boolean verifyHostname, String trustSource, boolean presentsCertificate) {
    this.context = context;
    this.verifyHostname = verifyHostname;
    this.trustSource = trustSource;
    this.presentsCertificate = presentsCertificate;
  }

  /**
   * Trusts the certificates in {@code trustPem} (a CA's, or the server's own), with hostname
   * verification and no client certificate.
   *
   * @throws IOException naming the file, if it cannot be read or holds no certificate
   */
  public static ClientTls trusting(Path trustPem) throws IOException {
    return build(trustPem, null, null, true);
  }

  /**
   * As {@link #trusting}, presenting the client certificate of {@code certificatePem} (its chain)
   * with its private key {@code keyPem}, for servers that require client certificates.
   *
   * @throws IOException naming the file, if one cannot be read, or the key is not the
   *     certificate's
   */
  public static ClientTls trusting(Path trustPem, Path certificatePem, Path keyPem)
      throws IOException {
    return build(
        trustPem,
        Objects.requireNonNull(certificatePem, "certificatePem"),
        Objects.requireNonNull(keyPem, "keyPem"),
        true);
  }

  /**
   * This configuration without checking that the server's certificate names the host dialled
   * (the certificate must still be trusted). Only for certificates made without the right
   * subject alternative names; prefer making them right.
   */
  public ClientTls withoutHostnameVerification() {
    return new ClientTls(context, false, trustSource, presentsCertificate);
  }

  public boolean verifiesHostname() {
    return verifyHostname;
  }

  private static ClientTls build(
      Path trustPem, @Nullable Path certificatePem, @Nullable Path keyPem, boolean verifyHostname)
      throws IOException {
    TrustManagerFactory trust = PemFiles.trustFactory(Objects.requireNonNull(trustPem, "trustPem"));
    KeyManagerFactory keys = null;
    try {
      if (certificatePem != null && keyPem != null) {
        List<X509Certificate> chain = PemFiles.certificates(certificatePem);
        PrivateKey key = PemFiles.privateKey(keyPem);
        if (!PemFiles.matches(key, chain.get(0))) {
          throw new IOException("the private key in " + keyPem
              + " does not match the certificate in " + certificatePem);
        }
        char[] password = "ringleader".toCharArray(); // of the in-memory store only
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("client", key, password, chain.toArray(new Certificate[0]));
        keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
      }
      SSLContext context = SSLContext.getInstance(PemFiles.TLS_PROTOCOL);
      context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
      return new ClientTls(context, verifyHostname, trustPem.toString(), keys != null);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /**
   * Layers TLS over the connected {@code plain} socket to {@code host:port} and completes the
   * handshake within the socket's read timeout. On failure the socket is closed.
   *
   * @throws IOException saying what failed, in words a user can act on
   */
  SSLSocket handshake(Socket plain, String host, int port) throws IOException {
    SSLSocket socket;
    try {
      socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
    } catch (IOException e) {
      plain.close();
      throw e;
    }
    try {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setProtocols(new String[] {PemFiles.TLS_PROTOCOL});
      if (verifyHostname) {
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
      }
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      return socket;
    } catch (SocketTimeoutException e) {
      socket.close();
      throw new SocketTimeoutException("no answer to the TLS handshake from " + host + ":" + port
          + " in time (is it a" + " Ringleader server, and not overloaded?)");
    } catch (SSLException e) {
      socket.close();
      throw new SSLHandshakeException(explain(e, host, port));
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * A TLS failure after the handshake in words. In TLS 1.3 the server checks a client certificate
   * after the client's side of the handshake is done, so its refusal arrives with the first read.
   */
  String explainAfterHandshake(SSLException e, String where) {
    String reason = e.getMessage() == null ? e.toString() : e.getMessage();
    boolean refused = reason.contains("bad_certificate")
        || reason.contains("unknown_ca")
        || reason.contains("certificate_unknown");
    if (presentsCertificate && (refused || reason.contains("certificate_required"))) {
      // A client certificate whose issuer the server does not list is not even offered: the
      // server then says certificate_required, as if there were none.
      return "server " + where + " refused the client certificate: it is not signed by a CA the"
          + " server accepts (" + reason + ")";
    }
    if (reason.contains("certificate_required") || refused) {
      return "server " + where + " requires a client certificate (--tls-client-cert and"
          + " --tls-client-key; ClientTls.trusting(trust, cert, key)): " + reason;
    }
    return "TLS with " + where + " failed: " + reason;
  }

  /**
   * The server closed or reset the connection right after the handshake, before its alert could
   * be read: in TLS 1.3 that is how a refused client certificate can look from this side.
   */
  String explainClosedAfterHandshake(IOException e, String where) {
    String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return "server " + where + " closed the connection right after the TLS handshake (" + reason
        + "): "
        + (presentsCertificate
            ? "it may have refused the client certificate (is it signed by the CA the server"
                + " requires?)"
            : "it may require a client certificate (--tls-client-cert and --tls-client-key)");
  }

  /** A handshake failure in words: the usual causes named. */
  private String explain(SSLException e, String host, int port) {
    String reason = e.getMessage() == null ? e.toString() : e.getMessage();
    String where = host + ":" + port;
    if (reason.contains("Unsupported or unrecognized SSL message")) {
      return "server " + where + " does not speak TLS (it answered in plaintext): drop the TLS"
          + " trust setting (--tls-trust) for it, or use its TLS port";
    }
    if (reason.contains("Remote host terminated the handshake")) {
      return "server " + where + " closed the connection during the TLS handshake (it may be full,"
          + " or refusing this address: its log says which)";
    }
    if (reason.contains("PKIX path")
        || reason.contains("unable to find valid certification path")) {
      return "TLS handshake with " + where + " failed: its certificate is not trusted by "
          + trustSource + " (" + reason + ")";
    }
    if (reason.contains("No subject alternative") || reason.contains("subject alternative names")) {
      return "TLS handshake with " + where + " failed: its certificate does not name " + host + " ("
          + reason + ")";
    }
    return "TLS handshake with " + where + " failed: " + reason;
  }
}
