package io.github.ringleader.messaging.transport.tcp;

import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.await;
import static io.github.ringleader.messaging.transport.tcp.TcpTestSupport.readOne;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.client.ClientTls;
import io.github.ringleader.messaging.client.ClientTlsAccess;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.protocol.ClientCodec;
import io.github.ringleader.messaging.session.ClientRequest;
import io.github.ringleader.messaging.session.ServerEvent;
import io.github.ringleader.messaging.transport.tcp.TcpServerStats.CloseReason;
import io.github.ringleader.messaging.transport.tcp.TestCertificates.Pair;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLSocket;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the client port, over real sockets on 127.0.0.1 against a fake node that welcomes every
 * Hello; certificates are made with the openssl command line at test time ({@link
 * TestCertificates}), and {@code openssl s_client} is one of the clients.
 */
class TlsClientPortTest {
  @TempDir
  Path dir;

  private TestCertificates certs;
  private Pair ca;
  private Pair serverPair;
  private final List<Socket> sockets = new ArrayList<>();
  private @Nullable TcpClientServer started;

  @BeforeEach
  void makeCertificates() throws IOException {
    certs = new TestCertificates(dir);
    ca = certs.ca("test-ca");
    serverPair = certs.signed("server", "localhost", ca, "ec");
  }

  private TcpClientServer server() {
    return Objects.requireNonNull(started, "start the server first");
  }

  private TcpClientServer start(TcpServerConfig.Builder config) throws IOException {
    return start(config, System::nanoTime);
  }

  private TcpClientServer start(TcpServerConfig.Builder config, LongSupplier clock)
      throws IOException {
    started = TcpClientServer.start(
        config.host("127.0.0.1").port(0).build(),
        link -> new TcpClientServer.ClientHandler() {
          @Override
          public void request(ClientRequest request) {
            if (request instanceof ClientRequest.Hello hello) {
              link.send(new ServerEvent.Welcome(hello.name(), 1, NodeId.of("server1")));
            } else if (request instanceof ClientRequest.ListServers) {
              link.send(new ServerEvent.Servers(NodeId.of("server1"), List.of()));
            }
          }

          @Override
          public void closed() {}
        },
        clock);
    return started;
  }

  private TlsServerSettings serverTls() {
    return TlsServerSettings.pem(serverPair.certificate(), serverPair.key())
        .reloadCheckInterval(Duration.ZERO);
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket socket : sockets) {
      socket.close();
    }
    TcpClientServer server = started;
    if (server != null) {
      server.close();
    }
  }

  private Socket plain() throws IOException {
    Socket socket = new Socket();
    sockets.add(socket);
    socket.connect(new InetSocketAddress("127.0.0.1", server().localPort()), 2000);
    socket.setSoTimeout(5000);
    return socket;
  }

  private SSLSocket tls(ClientTls clientTls) throws IOException {
    SSLSocket socket =
        ClientTlsAccess.handshake(clientTls, plain(), "127.0.0.1", server().localPort());
    sockets.add(socket);
    return socket;
  }

  private static void send(Socket socket, ClientRequest request) throws IOException {
    socket.getOutputStream().write(ClientCodec.encodeRequest(request));
    socket.getOutputStream().flush();
  }

  private MessagingClient.Builder sdk(String name) {
    return MessagingClient.builder()
        .address("127.0.0.1", server().localPort())
        .name(name)
        .timeout(Duration.ofSeconds(5))
        .balance(false)
        .failover(false);
  }

  @Test
  void aClientTrustingTheCaJoinsOverTls13() throws Exception {
    start(TcpServerConfig.builder().tls(serverTls()));
    SSLSocket socket = tls(ClientTls.trusting(ca.certificate()));

    send(socket, new ClientRequest.Hello("alice"));

    assertThat(readOne(socket)).isInstanceOf(ServerEvent.Welcome.class);
    assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
    assertThat(server().stats().open()).isEqualTo(1);
  }

  @Test
  void theSdkJoinsOverTlsTrustingTheCa() throws Exception {
    start(TcpServerConfig.builder().tls(serverTls()));

    try (MessagingClient client =
        sdk("alice").tls(ClientTls.trusting(ca.certificate())).connect()) {
      assertThat(client.welcome().name()).isEqualTo("alice");
    }
  }

  @Test
  void aClientTrustingAnotherCaIsRefusedSayingTheCertificateIsNotTrusted() throws Exception {
    start(TcpServerConfig.builder().tls(serverTls()));
    Pair otherCa = certs.ca("other-ca");

    assertThatThrownBy(
            () -> sdk("alice").tls(ClientTls.trusting(otherCa.certificate())).connect())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("TLS handshake with 127.0.0.1:" + server().localPort() + " failed")
        .hasMessageContaining("not trusted by " + otherCa.certificate());
    await(
        () -> "the server counted the failed handshake",
        () -> server().stats().closed(CloseReason.TLS_HANDSHAKE_FAILED) == 1);
  }

  @Test
  void aCertificateThatDoesNotNameTheHostIsRefusedUnlessVerificationIsOff() throws Exception {
    // A server certificate naming only "elsewhere.example": trusted, but not for 127.0.0.1.
    Path ext = dir.resolve("elsewhere.cnf");
    Files.writeString(ext, "subjectAltName=DNS:elsewhere.example\n");
    Path key = dir.resolve("elsewhere.key");
    Path cert = dir.resolve("elsewhere.pem");
    TestCertificates.openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key.toString(),
        "-out",
        cert.toString(),
        "-days",
        "30",
        "-subj",
        "/CN=elsewhere.example",
        "-addext",
        "subjectAltName=DNS:elsewhere.example");
    start(TcpServerConfig.builder().tls(TlsServerSettings.pem(cert, key)));

    assertThatThrownBy(() -> sdk("alice").tls(ClientTls.trusting(cert)).connect())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("does not name 127.0.0.1");
    try (MessagingClient client =
        sdk("bob").tls(ClientTls.trusting(cert).withoutHostnameVerification()).connect()) {
      assertThat(client.welcome().name()).isEqualTo("bob");
    }
  }

  @Test
  void aPlaintextClientOnATlsPortIsToldToUseTlsAndTheServerServesOthers() throws Exception {
    start(TcpServerConfig.builder().tls(serverTls()));

    assertThatThrownBy(() -> sdk("alice").connect())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("server 127.0.0.1:" + server().localPort() + " speaks TLS")
        .hasMessageContaining("--tls-trust");
    await(
        () -> "the server counted the plaintext client",
        () -> server().stats().closed(CloseReason.PLAINTEXT_ON_TLS_PORT) == 1);

    SSLSocket other = tls(ClientTls.trusting(ca.certificate()));
    send(other, new ClientRequest.Hello("bob"));
    assertThat(readOne(other)).isInstanceOf(ServerEvent.Welcome.class);
  }

  @Test
  void aTlsClientOnAPlaintextPortIsToldTheServerDoesNotSpeakTls() throws Exception {
    start(TcpServerConfig.builder());

    assertThatThrownBy(
            () -> sdk("alice").tls(ClientTls.trusting(ca.certificate())).connect())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("server 127.0.0.1:" + server().localPort() + " does not speak TLS");
  }

  @Test
  void aTlsClientRefusedAtAcceptIsClosedWithoutPlaintextAndToldTheHandshakeEnded()
      throws Exception {
    start(TcpServerConfig.builder().tls(serverTls()).maxConnectionsPerAddress(1));
    SSLSocket first = tls(ClientTls.trusting(ca.certificate()));
    send(first, new ClientRequest.Hello("alice"));
    assertThat(readOne(first)).isInstanceOf(ServerEvent.Welcome.class);

    assertThatThrownBy(
            () -> sdk("bob").tls(ClientTls.trusting(ca.certificate())).connect())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("closed the connection during the TLS handshake")
        .hasMessageNotContaining("does not speak TLS");
    await(
        () -> "the refusal counted",
        () -> server().stats().closed(CloseReason.TOO_MANY_FROM_ADDRESS) == 1);
  }

  @Test
  void aConnectionTheNodeClosesBeforeTheHandshakeIsDoneClosesAtOnce() throws Exception {
    // Nothing of the client protocol can go out before the handshake, so there is no goodbye to
    // flush: the close does not wait for the closing grace (30 s here) with a frame that cannot
    // leave.
    started = TcpClientServer.start(
        TcpServerConfig.builder()
            .host("127.0.0.1")
            .port(0)
            .tls(serverTls())
            .closeGrace(Duration.ofSeconds(30))
            .build(),
        link -> {
          link.send(new ServerEvent.Goodbye("not now"));
          link.close();
          return new TcpClientServer.ClientHandler() {
            @Override
            public void request(ClientRequest request) {}

            @Override
            public void closed() {}
          };
        });
    Socket socket = plain();

    assertThat(socket.getInputStream().read()).as("closed without a byte").isEqualTo(-1);
    assertThat(server().stats().closed(CloseReason.SERVER_CLOSED)).isEqualTo(1);
  }

  @Test
  void aHandshakeThatNeverCompletesIsClosedAtTheHelloDeadline() throws Exception {
    start(TcpServerConfig.builder().tls(serverTls()).helloTimeout(Duration.ofMillis(300)));
    Socket stalled = plain();
    // The first bytes of a TLS record header, and then nothing.
    stalled.getOutputStream().write(new byte[] {0x16, 0x03, 0x01});
    stalled.getOutputStream().flush();

    InputStream in = stalled.getInputStream();
    assertThat(in.read()).as("closed without a byte of answer").isEqualTo(-1);
    assertThat(server().stats().closed(CloseReason.TLS_HANDSHAKE_TIMEOUT)).isEqualTo(1);
    assertThat(server().stats().open()).isZero();
  }

  @Test
  void theTimeToSayHelloStartsWhenTheHandshakeIsDone() throws Exception {
    TcpTestSupport.ManualClock clock = new TcpTestSupport.ManualClock();
    start(TcpServerConfig.builder().tls(serverTls()).helloTimeout(Duration.ofSeconds(10)), clock);
    Socket witness = plain(); // never handshakes: closed 10 s after it was accepted
    Socket late = plain();
    await(() -> "both accepted", () -> server().stats().open() == 2);

    clock.advance(Duration.ofSeconds(6));
    SSLSocket socket = ClientTlsAccess.handshake(
        ClientTls.trusting(ca.certificate()), late, "127.0.0.1", server().localPort());
    sockets.add(socket);
    // The server marks the handshake done when it reads the client's Finished; a ping-like
    // request it answers proves it has.
    send(socket, new ClientRequest.ListServers());
    assertThat(readOne(socket)).isInstanceOf(ServerEvent.Servers.class);
    clock.advance(Duration.ofSeconds(6)); // 12 s since accepted, 6 s since the handshake

    await(
        () -> "the witness was closed at its handshake deadline",
        () -> server().stats().closed(CloseReason.TLS_HANDSHAKE_TIMEOUT) == 1);
    assertThat(witness.getInputStream().read()).isEqualTo(-1);
    send(socket, new ClientRequest.Hello("alice"));
    assertThat(readOne(socket)).isInstanceOf(ServerEvent.Welcome.class);
  }

  @Test
  void opensslSClientNegotiatesTls13AndTls12IsRefused() throws Exception {
    start(TcpServerConfig.builder().tls(serverTls()));
    String port = Integer.toString(server().localPort());

    SClient tls13 = sClient(
        "-connect",
        "127.0.0.1:" + port,
        "-tls1_3",
        "-CAfile",
        ca.certificate().toString(),
        "-verify_return_error",
        "-brief");
    assertThat(tls13.exit()).as(tls13.output()).isZero();
    assertThat(tls13.output()).contains("Protocol version: TLSv1.3").contains("Verification: OK");

    SClient tls12 = sClient(
        "-connect",
        "127.0.0.1:" + port,
        "-tls1_2",
        "-CAfile",
        ca.certificate().toString(),
        "-brief");
    assertThat(tls12.exit()).as(tls12.output()).isNotZero();
    assertThat(tls12.output()).doesNotContain("Protocol version: TLSv1.2");
    await(
        () -> "the server counted the refused TLS 1.2 handshake",
        () -> server().stats().closed(CloseReason.TLS_HANDSHAKE_FAILED) == 1);
  }

  private record SClient(int exit, String output) {}

  /** Runs {@code openssl s_client} with stdin at its end (so it leaves after the handshake). */
  private static SClient sClient(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(TestCertificates.OPENSSL, "s_client"));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("openssl s_client did not finish within 20 s: " + command);
    }
    return new SClient(
        process.exitValue(),
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void aChangedCertificateIsServedToNewConnectionsAndABadOneKeepsTheOld() throws Exception {
    start(TcpServerConfig.builder().tls(serverTls()));
    ServerTls serverTls = Objects.requireNonNull(server().tls());
    ClientTls clientTls = ClientTls.trusting(ca.certificate());
    SSLSocket before = tls(clientTls);
    X509Certificate first = servedCertificate(before);

    Pair renewed = certs.signed("renewed", "localhost", ca, "rsa:2048");
    replace(renewed.key(), serverPair.key());
    replace(renewed.certificate(), serverPair.certificate());
    assertThat(serverTls.reloadIfChanged()).isTrue();

    SSLSocket after = tls(clientTls);
    X509Certificate second = servedCertificate(after);
    assertThat(second.getSerialNumber()).isNotEqualTo(first.getSerialNumber());
    assertThat(second.getPublicKey().getAlgorithm()).isEqualTo("RSA");
    // The connection made before the reload carries on with its session.
    send(before, new ClientRequest.Hello("alice"));
    assertThat(readOne(before)).isInstanceOf(ServerEvent.Welcome.class);

    // A certificate whose key is not the one in the key file: refused, the renewed one stays.
    Pair stray = certs.signed("stray", "localhost", ca, "ec");
    replace(stray.certificate(), serverPair.certificate());
    assertThat(serverTls.reloadIfChanged()).isFalse();
    assertThat(servedCertificate(tls(clientTls)).getSerialNumber())
        .isEqualTo(second.getSerialNumber());

    // Garbage in the certificate file: the same.
    Files.writeString(serverPair.certificate(), "not a certificate\n");
    assertThat(serverTls.reloadIfChanged()).isFalse();
    assertThat(servedCertificate(tls(clientTls)).getSerialNumber())
        .isEqualTo(second.getSerialNumber());
    assertThat(serverTls.reloads()).isEqualTo(1);
  }

  @Test
  void theFilesAreCheckedForChangesOnTheirIntervalOnly() throws Exception {
    long[] now = {0};
    ServerTls serverTls = ServerTls.load(
        TlsServerSettings.pem(serverPair.certificate(), serverPair.key())
            .reloadCheckInterval(Duration.ofSeconds(5)),
        java.time.Clock.systemUTC(),
        now[0]);
    X509Certificate first = serverTls.certificate();
    Pair renewed = certs.signed("renewed", "localhost", ca, "ec");
    replace(renewed.key(), serverPair.key());
    replace(renewed.certificate(), serverPair.certificate());

    assertThat(serverTls.reloadIfDue(TimeUnit.SECONDS.toNanos(4))).isFalse();
    assertThat(serverTls.certificate()).isEqualTo(first);
    assertThat(serverTls.reloadIfDue(TimeUnit.SECONDS.toNanos(5))).isTrue();
    assertThat(serverTls.certificate().getSerialNumber()).isNotEqualTo(first.getSerialNumber());
    assertThat(serverTls.reloadIfDue(TimeUnit.SECONDS.toNanos(10)))
        .as("unchanged")
        .isFalse();
  }

  @Test
  void withClientCertificatesRequiredOnlyAClientWithOneFromTheCaJoins() throws Exception {
    Pair clientCa = certs.ca("client-ca");
    Pair alice = certs.signed("alice", "alice", clientCa, "ec");
    Pair otherCa = certs.ca("rogue-ca");
    Pair mallory = certs.signed("mallory", "mallory", otherCa, "ec");
    start(TcpServerConfig.builder()
        .tls(serverTls().requireClientCertificates(clientCa.certificate())));

    try (MessagingClient client = sdk("alice")
        .tls(ClientTls.trusting(ca.certificate(), alice.certificate(), alice.key()))
        .connect()) {
      assertThat(client.welcome().name()).isEqualTo("alice");
    }
    assertThatThrownBy(
            () -> sdk("anon").tls(ClientTls.trusting(ca.certificate())).connect())
        .isInstanceOf(IOException.class)
        .hasMessageMatching(
            "(?s).*(requires a client certificate|may require a client certificate).*");
    assertThatThrownBy(() -> sdk("mallory")
            .tls(ClientTls.trusting(ca.certificate(), mallory.certificate(), mallory.key()))
            .connect())
        .isInstanceOf(IOException.class)
        .hasMessageMatching(
            "(?s).*(refused the client certificate|may have refused the client certificate).*");
    // (In TLS 1.3 the server checks the client's certificate after the client's side of the
    // handshake is done: the client hears the alert, or, if the server's close wins the race, sees
    // the connection closed; either way it says the certificate is the likely cause.)
    await(
        () -> "both failures counted",
        () -> server().stats().closed(CloseReason.TLS_HANDSHAKE_FAILED) == 2);
  }

  @Test
  void withoutClientCertificatesRequiredAClientNeedsNone() throws Exception {
    start(TcpServerConfig.builder().tls(serverTls()));
    Pair clientCa = certs.ca("client-ca");
    Pair alice = certs.signed("alice", "alice", clientCa, "ec");

    try (MessagingClient anonymous =
            sdk("anon").tls(ClientTls.trusting(ca.certificate())).connect();
        MessagingClient withCertificate = sdk("alice")
            .tls(ClientTls.trusting(ca.certificate(), alice.certificate(), alice.key()))
            .connect()) {
      assertThat(anonymous.isConnected()).isTrue();
      assertThat(withCertificate.isConnected()).isTrue();
    }
  }

  @Test
  void badKeyMaterialStopsTheServerFromStartingWithTheReason() throws Exception {
    Pair stray = certs.signed("stray", "localhost", ca, "ec");

    assertThatThrownBy(() -> start(TcpServerConfig.builder()
            .tls(TlsServerSettings.pem(serverPair.certificate(), stray.key()))))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("the private key in " + stray.key())
        .hasMessageContaining("does not match the certificate in " + serverPair.certificate());
    assertThatThrownBy(() -> start(TcpServerConfig.builder()
            .tls(TlsServerSettings.pem(dir.resolve("missing.pem"), stray.key()))))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("missing.pem: no such file");
  }

  @Test
  void aPkcs12FileServesLikeThePemPair() throws Exception {
    Path p12 = dir.resolve("server.p12");
    TestCertificates.openssl(
        "pkcs12",
        "-export",
        "-in",
        serverPair.certificate().toString(),
        "-inkey",
        serverPair.key().toString(),
        "-out",
        p12.toString(),
        "-passout",
        "pass:secret");
    start(TcpServerConfig.builder().tls(TlsServerSettings.pkcs12(p12, "secret".toCharArray())));

    SSLSocket socket = tls(ClientTls.trusting(ca.certificate()));
    send(socket, new ClientRequest.Hello("alice"));
    assertThat(readOne(socket)).isInstanceOf(ServerEvent.Welcome.class);
  }

  private static X509Certificate servedCertificate(SSLSocket socket) throws IOException {
    return (X509Certificate) socket.getSession().getPeerCertificates()[0];
  }

  /** Moves {@code from} over {@code to} in one step, as a deployment tool would. */
  private static void replace(Path from, Path to) throws IOException {
    Path copy = to.resolveSibling(to.getFileName() + ".new");
    Files.copy(from, copy, StandardCopyOption.REPLACE_EXISTING);
    Files.move(copy, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
