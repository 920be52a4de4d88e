package io.github.ringleader.messaging.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UsersFileTest {
  @TempDir
  Path dir;

  private static final SecureRandom RANDOM = new SecureRandom();

  @Test
  void anEntryWrittenIsReadBackTheSame() {
    UserEntry entry =
        new UserEntry("ops", 1_000, new byte[16], new byte[32], List.of("ops-*", "monitor"));
    String line = UsersFile.format(entry);
    assertThat(line)
        .isEqualTo("ops:pbkdf2-sha256:1000:AAAAAAAAAAAAAAAAAAAAAA==:"
            + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:ops-*,monitor");
    assertThat(UsersFile.parse(List.of("# users", "", line), "f"))
        .containsExactly(Map.entry("ops", entry));
  }

  @Test
  void badLinesAreRefusedWithTheLineNumberAndWhatIsWrong() {
    String salt = "AAAAAAAAAAAAAAAAAAAAAA==";
    String hash = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    assertThatThrownBy(
            () -> UsersFile.parse(List.of("# x", "alice:pbkdf2-sha256:1000"), "users.txt"))
        .hasMessage(
            "users.txt line 2: expected name:pbkdf2-sha256:iterations:salt:hash[:names], found 3 fields");
    assertThatThrownBy(() -> UsersFile.parse(List.of("alice:md5:1000:" + salt + ":" + hash), "u"))
        .hasMessage("u line 1: unknown scheme \"md5\" (this version knows pbkdf2-sha256)");
    assertThatThrownBy(
            () -> UsersFile.parse(List.of("alice:pbkdf2-sha256:many:" + salt + ":" + hash), "u"))
        .hasMessage("u line 1: iterations \"many\" is not a number");
    assertThatThrownBy(() -> UsersFile.parse(List.of("alice:pbkdf2-sha256:1000:!!:" + hash), "u"))
        .hasMessage("u line 1: salt is not valid base64");
    assertThatThrownBy(
            () -> UsersFile.parse(List.of("-x:pbkdf2-sha256:1000:" + salt + ":" + hash), "u"))
        .hasMessageStartingWith("u line 1: invalid user name \"-x\": a name must start with");
    assertThatThrownBy(() ->
            UsersFile.parse(List.of("a:pbkdf2-sha256:1000:" + salt + ":" + hash + ":b c"), "u"))
        .hasMessageContaining("invalid name pattern \"b c\"");
    String line = "Alice:pbkdf2-sha256:1000:" + salt + ":" + hash;
    assertThatThrownBy(
            () -> UsersFile.parse(List.of(line, line.toLowerCase(java.util.Locale.ROOT)), "u"))
        .hasMessage("u line 2: user alice is listed twice (names ignore case)");
  }

  @Test
  void aUserMayTakeItsOwnNameAndWhatItsPatternsMatchIgnoringCase() {
    UserEntry ops =
        new UserEntry("ops", 1_000, new byte[16], new byte[32], List.of("ops-*", "mon*tor"));
    assertThat(ops.mayTake("OPS")).isTrue();
    assertThat(ops.mayTake("ops-1")).isTrue();
    assertThat(ops.mayTake("Ops-Night")).isTrue();
    assertThat(ops.mayTake("monitor")).isTrue();
    assertThat(ops.mayTake("montor")).isTrue();
    assertThat(ops.mayTake("ops1")).isFalse();
    assertThat(ops.mayTake("alice")).isFalse();
    assertThat(ops.mayTake("monitors")).isFalse();
  }

  @Test
  void addUserCreatesAnOwnerOnlyFileAndReplacesAnExistingUser() throws Exception {
    Path file = dir.resolve("users.txt");
    assertThat(UsersFile.addUser(file, "alice", "one".toCharArray(), List.of(), 1_000, RANDOM))
        .isFalse();
    assertThat(UsersFile.addUser(file, "bob", "two".toCharArray(), List.of("bot-*"), 1_000, RANDOM))
        .isFalse();
    if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
    }
    assertThat(UsersFile.addUser(file, "ALICE", "three".toCharArray(), List.of(), 1_000, RANDOM))
        .isTrue();
    Map<String, UserEntry> users = UsersFile.read(file);
    assertThat(users.keySet()).containsExactly("alice", "bob");
    assertThat(java.util.Objects.requireNonNull(users.get("alice")).name()).isEqualTo("ALICE");
    assertThat(java.util.Objects.requireNonNull(users.get("alice"))
            .passwordMatches("three".toCharArray()))
        .isTrue();
    assertThat(java.util.Objects.requireNonNull(users.get("alice"))
            .passwordMatches("one".toCharArray()))
        .isFalse();
    assertThat(
            java.util.Objects.requireNonNull(users.get("bob")).passwordMatches("two".toCharArray()))
        .isTrue();
    assertThat(java.util.Objects.requireNonNull(users.get("bob")).allowedNames())
        .containsExactly("bot-*");
    assertThat(Files.readAllLines(file).get(0)).startsWith("#");
  }

  @Test
  void addUserRefusesABadNameWithTheNameRuleAndLeavesTheFileAlone() throws Exception {
    Path file = dir.resolve("users.txt");
    assertThatThrownBy(
            () -> UsersFile.addUser(file, "bad name", "x".toCharArray(), List.of(), 1_000, RANDOM))
        .hasMessageStartingWith("invalid user name \"bad name\": a name may only contain");
    assertThat(file).doesNotExist();
  }
}
