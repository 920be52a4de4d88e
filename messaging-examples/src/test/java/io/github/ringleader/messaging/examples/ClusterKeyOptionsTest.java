package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.MessagingNode;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.udp.UdpMulticastTransport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** keygen, --cluster-key, RINGLEADER_CLUSTER_KEY and the refusal to run unauthenticated off-host. */
class ClusterKeyOptionsTest {
  @TempDir
  Path dir;

  private static String keygen() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int status = Main.run(
        List.of("keygen"),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertThat(status).isZero();
    return out.toString(StandardCharsets.UTF_8);
  }

  private static ClusterOptions options(Map<String, String> environment, String... args)
      throws UsageException {
    ClusterOptions options = new ClusterOptions();
    options.environment = environment;
    options.parse(List.of(args));
    return options;
  }

  @Test
  void keygenPrintsOneLineThatParsesAsAKeyAndDiffersEachTime() {
    String first = keygen();
    assertThat(first).endsWith(System.lineSeparator());
    assertThat(first.strip()).hasSize(44).doesNotContain("\n");
    assertThat(ClusterKey.parse(first, "keygen").signingKey()).hasSize(32);
    assertThat(keygen()).isNotEqualTo(first);
  }

  @Test
  void aKeyFileWithOneOrTwoKeysIsRead() throws Exception {
    Path one = Files.writeString(dir.resolve("one.key"), keygen());
    Path two = Files.writeString(dir.resolve("two.key"), keygen() + keygen());

    ClusterKey key =
        options(Map.of(), "--cluster-key", one.toString()).clusterSetup().key();
    assertThat(key).isEqualTo(ClusterKey.parse(Files.readString(one), "x"));
    ClusterKey both =
        options(Map.of(), "--cluster-key", two.toString()).clusterSetup().key();
    assertThat(both).isNotNull();
    assertThat(java.util.Objects.requireNonNull(both).acceptedKeys()).hasSize(2);
  }

  /** The node's key check is on exactly when it has a key: it counts refusals by reason then. */
  private static java.util.Map<String, Long> keyCheckOfANodeGiven(ClusterOptions options)
      throws UsageException {
    try (MessagingNode node = options
        .clusterSetup()
        .applyTo(MessagingNode.builder().nodeId("server1").transport(new UdpMulticastTransport()))
        .build()) {
      return node.metrics().authenticationFailures();
    }
  }

  @Test
  void theKeyIsTheNodesWhichSealsAndOpensTheClusterFrames() throws Exception {
    Path one = Files.writeString(dir.resolve("one.key"), keygen());

    assertThat(keyCheckOfANodeGiven(options(Map.of(), "--cluster-key", one.toString())))
        .containsOnlyKeys("no_mac", "bad_mac", "replayed");
    assertThat(keyCheckOfANodeGiven(options(Map.of(ClusterOptions.KEY_VARIABLE, keygen()))))
        .containsOnlyKeys("no_mac", "bad_mac", "replayed");
    assertThat(keyCheckOfANodeGiven(options(Map.of()))).as("no key").isEmpty();
  }

  @Test
  void theKeyMayComeFromTheEnvironmentAndWithoutEitherThereIsNone() throws Exception {
    String text = keygen();
    assertThat(options(Map.of(ClusterOptions.KEY_VARIABLE, text)).clusterSetup().key())
        .isEqualTo(ClusterKey.parse(text, "x"));
    assertThat(options(Map.of()).clusterSetup().key()).isNull();
  }

  @Test
  void aMissingOrBadKeyFileIsRefusedWithAMessageSayingWhatToDo() throws Exception {
    Path missing = dir.resolve("missing.key");
    assertThatThrownBy(
            () -> options(Map.of(), "--cluster-key", missing.toString()).clusterSetup())
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--cluster-key: cannot read key file " + missing)
        .hasMessageContaining("keygen > " + missing);

    Path bad = Files.writeString(dir.resolve("bad.key"), "secret-but-not-base64\n");
    assertThatThrownBy(() -> options(Map.of(), "--cluster-key", bad.toString()).clusterSetup())
        .isInstanceOf(UsageException.class)
        .hasMessageStartingWith("--cluster-key: key file " + bad + ", line 1: not base64")
        .hasMessageNotContaining("secret-but-not-base64");

    assertThatThrownBy(
            () -> options(Map.of(ClusterOptions.KEY_VARIABLE, "AAAA")).clusterSetup())
        .hasMessageStartingWith(
            "environment variable RINGLEADER_CLUSTER_KEY, line 1: a cluster key is 32 bytes");
  }

  @Test
  void onlyANetworkInterfaceWithoutKeyAndWithoutInsecureIsRefused() {
    assertThat(ClusterOptions.refusal(true, false, false))
        .as("loopback, first run")
        .isNull();
    assertThat(ClusterOptions.refusal(false, true, false)).as("network, keyed").isNull();
    assertThat(ClusterOptions.refusal(false, false, true))
        .as("network, --insecure")
        .isNull();
    assertThat(ClusterOptions.refusal(false, false, false))
        .contains("keygen > cluster.key")
        .contains("--cluster-key cluster.key")
        .contains("--insecure");
  }

  @Test
  void theServerOnLoopbackStillStartsWithoutAKeyAndInsecureIsAnOption() throws Exception {
    assertThat(options(Map.of()).clusterSetup().key()).isNull();
    assertThat(options(Map.of(), "--insecure").insecure).isTrue();
  }
}
