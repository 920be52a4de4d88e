package io.github.ringleader.messaging.examples;

import static io.github.ringleader.messaging.examples.ServerProcesses.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.client.ClientTls;
import io.github.ringleader.messaging.client.MessageListener;
import io.github.ringleader.messaging.client.MessagingClient;
import io.github.ringleader.messaging.client.ReceivedMessage;
import io.github.ringleader.messaging.transport.tcp.TlsServerSettings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The TLS options of {@code server} and {@code client}: bad combinations and missing files are
 * named, and a real server process started with {@code --tls-cert/--tls-key} talks to {@code
 * client --tls-trust}. The certificate is made with the openssl command line, as
 * docs/security.md tells an operator to; without openssl the test fails saying so.
 */
class TlsOptionsTest {
  @TempDir
  Path dir;

  private final ServerProcesses processes = new ServerProcesses();
  private final List<MessagingClient> clients = new ArrayList<>();

  @AfterEach
  void stop() {
    clients.forEach(MessagingClient::close);
    processes.close();
  }

  /** A self-signed EC certificate for 127.0.0.1 and localhost: [certificate, key]. */
  private Path[] selfSigned(String name) throws Exception {
    Path cert = dir.resolve(name + ".pem");
    Path key = dir.resolve(name + ".key");
    List<String> command = List.of(
        "openssl",
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
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost");
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError(
          "this test makes its certificate with openssl, which could not be" + " run ("
              + e.getMessage() + "): install openssl",
          e);
    }
    process.getOutputStream().close();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("openssl did not finish in 30 s");
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as(output).isZero();
    return new Path[] {cert, key};
  }

  private static String[] run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(
        List.of(args),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {
      Integer.toString(status),
      out.toString(StandardCharsets.UTF_8),
      err.toString(StandardCharsets.UTF_8)
    };
  }

  @Test
  void serverTlsFlagsThatDoNotGoTogetherOrNameMissingFilesAreRefusedSpecifically()
      throws Exception {
    Path[] pair = selfSigned("server");
    String cert = pair[0].toString();
    String key = pair[1].toString();

    String[] onlyCert = run("server", "server1", "7001", "--tls-cert", cert);
    assertThat(onlyCert[0]).isEqualTo("2");
    assertThat(onlyCert[2]).contains("error: --tls-cert needs --tls-key").contains("usage:");

    String[] onlyKey = run("server", "server1", "7001", "--tls-key", key);
    assertThat(onlyKey[2]).contains("error: --tls-key needs --tls-cert");

    String missing = dir.resolve("missing.pem").toString();
    String[] noFile = run("server", "server1", "7001", "--tls-cert", missing, "--tls-key", key);
    assertThat(noFile[0]).isEqualTo("2");
    assertThat(noFile[2]).contains("error: --tls-cert: no such file: " + missing);

    String[] caOnly = run("server", "server1", "7001", "--tls-client-ca", cert);
    assertThat(caOnly[2]).contains("--tls-client-ca needs --tls-cert and --tls-key");

    // The key of another certificate: read and refused before anything starts.
    Path[] other = selfSigned("other");
    String[] mismatch =
        run("server", "server1", "7001", "--tls-cert", cert, "--tls-key", other[1].toString());
    assertThat(mismatch[0]).isEqualTo("2");
    assertThat(mismatch[2]).contains("does not match the certificate in " + cert);

    String[] help = run("server", "--help");
    assertThat(help[1])
        .contains("--tls-cert <pem>")
        .contains("--tls-key <pem>")
        .contains("--tls-client-ca <pem>");
  }

  @Test
  void clientTlsFlagsAreCheckedTogether() throws Exception {
    Path[] pair = selfSigned("server");

    assertThatThrownBy(() -> TlsOptions.takeClientOptions(
            new ArrayList<>(List.of("--tls-client-cert", pair[0].toString()))))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("need --tls-trust");
    assertThatThrownBy(() -> TlsOptions.takeClientOptions(new ArrayList<>(
            List.of("--tls-trust", pair[0].toString(), "--tls-client-cert", pair[0].toString()))))
        .isInstanceOf(UsageException.class)
        .hasMessage("--tls-client-cert needs --tls-client-key (its private key, PEM)");
    assertThatThrownBy(() -> TlsOptions.takeClientOptions(
            new ArrayList<>(List.of("--tls-trust", dir.resolve("nope.pem").toString()))))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--tls-trust: no such file");
    assertThatThrownBy(() -> TlsOptions.takeClientOptions(
            new ArrayList<>(List.of("--tls-trust", pair[1].toString()))))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("no \"-----BEGIN CERTIFICATE-----\" block");

    List<String> args =
        new ArrayList<>(List.of("alice", "--tls-trust", pair[0].toString(), "h", "1"));
    assertThat(TlsOptions.takeClientOptions(args)).isNotNull();
    assertThat(args).containsExactly("alice", "h", "1");
    assertThat(TlsOptions.takeClientOptions(new ArrayList<>(List.of("alice", "h", "1"))))
        .isNull();

    String[] help = run("client", "--help");
    assertThat(help[1]).contains("--tls-trust <pem>");
  }

  @Test
  void serverSettingsCarryTheFilesAndTheClientCa() throws Exception {
    Path[] pair = selfSigned("server");
    List<String> args = new ArrayList<>(List.of(
        "server1",
        "--tls-cert",
        pair[0].toString(),
        "--tls-key",
        pair[1].toString(),
        "--tls-client-ca",
        pair[0].toString(),
        "7001"));

    TlsServerSettings settings =
        java.util.Objects.requireNonNull(TlsOptions.takeServerOptions(args, Map.of()));

    assertThat(args).containsExactly("server1", "7001");
    assertThat(settings.certificateChain()).isEqualTo(pair[0]);
    assertThat(settings.privateKey()).isEqualTo(pair[1]);
    assertThat(settings.clientCa()).isEqualTo(pair[0]);
    assertThat(TlsOptions.takeServerOptions(new ArrayList<>(List.of("server1", "7001")), Map.of()))
        .isNull();
  }

  @Test
  void aServerProcessWithTlsCertTalksToClientWithTlsTrust() throws Exception {
    Path[] pair = selfSigned("server");
    int port = ServerProcesses.freeTcpPort();
    ServerProcesses.Server server = processes.start(
        "server1",
        port,
        "--heartbeat",
        "100ms",
        "--missed",
        "3",
        "--mcast-port",
        String.valueOf(ServerProcesses.freeUdpPort()),
        "--cluster",
        "tls-" + port,
        "--tls-cert",
        pair[0].toString(),
        "--tls-key",
        pair[1].toString());
    await(
        () -> server.logged("clients connect on"),
        Duration.ofSeconds(20),
        () -> "the server to accept clients; its log:\n" + server.tail(20));
    assertThat(server.logged("TLS 1.3 only")).as(server.tail(20)).isTrue();
    assertThat(server.logged("certificate CN=localhost")).as(server.tail(20)).isTrue();

    // bob listens through the SDK; alice is the example client, as a user would run it.
    List<ReceivedMessage> bobGot = new CopyOnWriteArrayList<>();
    MessagingClient bob = MessagingClient.builder()
        .address("127.0.0.1", port)
        .name("bob")
        .tls(ClientTls.trusting(pair[0]))
        .messageListener(new MessageListener() {
          @Override
          public void onMessage(ReceivedMessage message) {
            bobGot.add(message);
          }
        })
        .connect();
    clients.add(bob);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ClientCommand.run(
        List.of("alice", "127.0.0.1", String.valueOf(port), "--tls-trust", pair[0].toString()),
        new ByteArrayInputStream("send hello over tls\nquit\n".getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
    await(
        () -> bobGot.stream().anyMatch(m -> m.text().equals("hello over tls")),
        Duration.ofSeconds(10),
        "bob to get alice's message");

    // Without --tls-trust the client is told what to do.
    ByteArrayOutputStream plainErr = new ByteArrayOutputStream();
    int plain = ClientCommand.run(
        List.of("carol", "127.0.0.1", String.valueOf(port)),
        new ByteArrayInputStream(new byte[0]),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(plainErr, true, StandardCharsets.UTF_8));
    assertThat(plain).isEqualTo(1);
    assertThat(plainErr.toString(StandardCharsets.UTF_8))
        .contains("server 127.0.0.1:" + port + " speaks TLS")
        .contains("--tls-trust");
    await(
        () -> server.logged("plaintext client on a TLS port from 127.0.0.1"),
        Duration.ofSeconds(5),
        () -> "the audit line; log:\n" + server.tail(20));
  }
}
