package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.transport.ClusterKey;
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
  void aKeyFileWithOneOrTwoKeysReachesTheTransportConfig() throws Exception {
    Path one = Files.writeString(dir.resolve("one.key"), keygen());
    Path two = Files.writeString(dir.resolve("two.key"), keygen() + keygen());

    ClusterKey key =
        options(Map.of(), "--cluster-key", one.toString()).transportConfig().clusterKey();
    assertThat(key).isEqualTo(ClusterKey.parse(Files.readString(one), "x"));
    ClusterKey both =
        options(Map.of(), "--cluster-key", two.toString()).transportConfig().clusterKey();
    assertThat(both).isNotNull();
    assertThat(java.util.Objects.requireNonNull(both).acceptedKeys()).hasSize(2);
  }

  @Test
  void theKeyMayComeFromTheEnvironmentAndWithoutEitherThereIsNone() throws Exception {
    String text = keygen();
    assertThat(
            options(Map.of(ClusterOptions.KEY_VARIABLE, text)).transportConfig().clusterKey())
        .isEqualTo(ClusterKey.parse(text, "x"));
    assertThat(options(Map.of()).transportConfig().clusterKey()).isNull();
  }

  @Test
  void aMissingOrBadKeyFileIsRefusedWithAMessageSayingWhatToDo() throws Exception {
    Path missing = dir.resolve("missing.key");
    assertThatThrownBy(
            () -> options(Map.of(), "--cluster-key", missing.toString()).transportConfig())
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("--cluster-key: cannot read key file " + missing)
        .hasMessageContaining("keygen > " + missing);

    Path bad = Files.writeString(dir.resolve("bad.key"), "secret-but-not-base64\n");
    assertThatThrownBy(() -> options(Map.of(), "--cluster-key", bad.toString()).transportConfig())
        .isInstanceOf(UsageException.class)
        .hasMessageStartingWith("--cluster-key: key file " + bad + ", line 1: not base64")
        .hasMessageNotContaining("secret-but-not-base64");

    assertThatThrownBy(
            () -> options(Map.of(ClusterOptions.KEY_VARIABLE, "AAAA")).transportConfig())
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
    assertThat(options(Map.of()).transportConfig().clusterKey()).isNull();
    assertThat(options(Map.of(), "--insecure").insecure).isTrue();
  }
}
