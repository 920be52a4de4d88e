package io.github.ringleader.messaging.examples;

import io.github.ringleader.messaging.client.ClientTls;
import io.github.ringleader.messaging.transport.tcp.TlsServerSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The TLS options of the example server ({@code --tls-cert}, {@code --tls-key}, {@code
 * --tls-pkcs12}, {@code --tls-client-ca}) and client ({@code --tls-trust}, {@code
 * --tls-client-cert}, {@code --tls-client-key}, {@code --tls-no-hostname-check}): taken out of the
 * arguments, checked together, and the files read at once, so a bad one is reported before
 * anything starts. See docs/security.md, "TLS on the client port".
 */
final class TlsOptions {
  /** Where the password of a {@code --tls-pkcs12} file is read from (empty if unset). */
  static final String PKCS12_PASSWORD_ENV = "RINGLEADER_TLS_PKCS12_PASSWORD";

  static final String SERVER_HELP =
      "  --tls-cert <pem>           speak TLS 1.3 (only) on the client port with this PEM\n"
          + "                             certificate chain (server certificate first); needs\n"
          + "                             --tls-key. Both files are reloaded when they change\n"
          + "  --tls-key <pem>            the certificate's private key, PEM, unencrypted\n"
          + "  --tls-pkcs12 <file>        instead of --tls-cert/--tls-key: a PKCS12 file; its\n"
          + "                             password from $" + PKCS12_PASSWORD_ENV + "\n"
          + "  --tls-client-ca <pem>      require client certificates signed by this CA (mutual TLS)\n";

  static final String CLIENT_HELP =
      "  --tls-trust <pem>          speak TLS to the servers, trusting this certificate or CA\n"
          + "                             (PEM); the certificate must name <host>\n"
          + "  --tls-client-cert <pem>    present this client certificate (servers with\n"
          + "                             --tls-client-ca require one); needs --tls-client-key\n"
          + "  --tls-client-key <pem>     the client certificate's private key, PEM, unencrypted\n"
          + "  --tls-no-hostname-check    do not check that the server's certificate names <host>\n";

  private static final List<String> SERVER_VALUED =
      List.of("--tls-cert", "--tls-key", "--tls-pkcs12", "--tls-client-ca");
  private static final List<String> CLIENT_VALUED =
      List.of("--tls-trust", "--tls-client-cert", "--tls-client-key");

  private @Nullable Path cert;
  private @Nullable Path key;
  private @Nullable Path pkcs12;
  private @Nullable Path clientCa;
  private @Nullable Path trust;
  private @Nullable Path clientCert;
  private @Nullable Path clientKey;
  private boolean noHostnameCheck;

  private TlsOptions() {}

  /**
   * Takes the server's TLS options out of {@code args} (in place) and reads their files.
   *
   * @return the port's TLS settings, or null when no TLS option was given
   * @throws UsageException naming the option and what is wrong
   */
  static @Nullable TlsServerSettings takeServerOptions(List<String> args, Map<String, String> env)
      throws UsageException {
    TlsOptions o = new TlsOptions();
    o.take(args, SERVER_VALUED, false);
    if (o.cert == null && o.key == null && o.pkcs12 == null) {
      if (o.clientCa != null) {
        throw new UsageException(
            "--tls-client-ca needs --tls-cert and --tls-key: client certificates are checked only"
                + " over TLS");
      }
      return null;
    }
    TlsServerSettings settings;
    if (o.pkcs12 != null) {
      if (o.cert != null || o.key != null) {
        throw new UsageException("give either --tls-pkcs12 or --tls-cert and --tls-key, not both");
      }
      settings = TlsServerSettings.pkcs12(
          o.pkcs12, env.getOrDefault(PKCS12_PASSWORD_ENV, "").toCharArray());
    } else if (o.cert == null) {
      throw new UsageException("--tls-key needs --tls-cert (the certificate chain, PEM)");
    } else if (o.key == null) {
      throw new UsageException("--tls-cert needs --tls-key (the certificate's private key, PEM)");
    } else {
      settings = TlsServerSettings.pem(o.cert, o.key);
    }
    if (o.clientCa != null) {
      settings = settings.requireClientCertificates(o.clientCa);
    }
    try {
      settings.check();
    } catch (IOException e) {
      throw new UsageException("TLS: " + e.getMessage());
    }
    return settings;
  }

  /**
   * Takes the client's TLS options out of {@code args} (in place) and reads their files.
   *
   * @return how to speak TLS, or null when no TLS option was given
   * @throws UsageException naming the option and what is wrong
   */
  static @Nullable ClientTls takeClientOptions(List<String> args) throws UsageException {
    TlsOptions o = new TlsOptions();
    o.take(args, CLIENT_VALUED, true);
    if (o.trust == null) {
      if (o.clientCert != null || o.clientKey != null || o.noHostnameCheck) {
        throw new UsageException(
            "--tls-client-cert, --tls-client-key and --tls-no-hostname-check need --tls-trust"
                + " (the server's certificate or CA, PEM)");
      }
      return null;
    }
    if ((o.clientCert == null) != (o.clientKey == null)) {
      throw new UsageException(
          o.clientCert == null
              ? "--tls-client-key needs --tls-client-cert (the client certificate, PEM)"
              : "--tls-client-cert needs --tls-client-key (its private key, PEM)");
    }
    try {
      ClientTls tls = o.clientCert == null || o.clientKey == null
          ? ClientTls.trusting(o.trust)
          : ClientTls.trusting(o.trust, o.clientCert, o.clientKey);
      return o.noHostnameCheck ? tls.withoutHostnameVerification() : tls;
    } catch (IOException e) {
      throw new UsageException("TLS: " + e.getMessage());
    }
  }

  private void take(List<String> args, List<String> valued, boolean client) throws UsageException {
    for (Iterator<String> it = args.iterator(); it.hasNext(); ) {
      String option = it.next();
      if (client && option.equals("--tls-no-hostname-check")) {
        it.remove();
        noHostnameCheck = true;
        continue;
      }
      if (!valued.contains(option)) {
        continue;
      }
      it.remove();
      String value = ClusterOptions.value(option, it);
      it.remove();
      Path file = existingFile(option, value);
      switch (option) {
        case "--tls-cert" -> cert = file;
        case "--tls-key" -> key = file;
        case "--tls-pkcs12" -> pkcs12 = file;
        case "--tls-client-ca" -> clientCa = file;
        case "--tls-trust" -> trust = file;
        case "--tls-client-cert" -> clientCert = file;
        case "--tls-client-key" -> clientKey = file;
        default -> throw new AssertionError(option);
      }
    }
  }

  private static Path existingFile(String option, String value) throws UsageException {
    if (value.isBlank() || value.startsWith("--")) {
      throw new UsageException(option + " needs a file, was \"" + value + "\"");
    }
    Path file = Path.of(value);
    if (!Files.isRegularFile(file)) {
      throw new UsageException(option + ": no such file: " + value);
    }
    if (!Files.isReadable(file)) {
      throw new UsageException(option + ": cannot read " + value + " (permissions?)");
    }
    return file;
  }
}
