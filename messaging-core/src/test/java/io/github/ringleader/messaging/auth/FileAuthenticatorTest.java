package io.github.ringleader.messaging.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.ringleader.messaging.session.Credential;
import io.github.ringleader.messaging.session.ServerEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileAuthenticatorTest {
  @TempDir
  Path dir;

  private Path file;
  private @Nullable FileAuthenticator authenticator;

  @BeforeEach
  void users() throws Exception {
    file = dir.resolve("users.txt");
    UsersFile.addUser(
        file, "alice", "wonderland".toCharArray(), List.of(), 1_000, new SecureRandom());
    UsersFile.addUser(
        file, "ops", "pager".toCharArray(), List.of("ops-*"), 1_000, new SecureRandom());
  }

  @AfterEach
  void close() {
    if (authenticator != null) {
      authenticator.close();
    }
  }

  private AuthDecision decide(String name, @Nullable Credential credential) throws Exception {
    return java.util.Objects.requireNonNull(authenticator)
        .authenticate(new AuthAttempt(name, credential, "127.0.0.1"))
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private static Credential as(String user, String secret) {
    return new Credential(user, secret.toCharArray());
  }

  @Test
  void theRightPasswordIsAllowedItsOwnNameAndWhatItsPatternsAllow() throws Exception {
    authenticator = FileAuthenticator.open(file);
    assertThat(decide("alice", as("alice", "wonderland")).allowed()).isTrue();
    assertThat(decide("Alice", as("ALICE", "wonderland")).allowed()).isTrue();
    assertThat(decide("ops-night", as("ops", "pager")).allowed()).isTrue();
  }

  @Test
  void aWrongPasswordAndAnUnknownUserReadTheSameToTheClient() throws Exception {
    authenticator = FileAuthenticator.open(file);
    AuthDecision wrong = decide("alice", as("alice", "looking-glass"));
    AuthDecision unknown = decide("mallory", as("mallory", "x"));
    assertThat(wrong.failure()).isEqualTo(ClientAuthFailure.WRONG_SECRET);
    assertThat(unknown.failure()).isEqualTo(ClientAuthFailure.UNKNOWN_USER);
    assertThat(wrong.reason()).isEqualTo(unknown.reason()).isEqualTo("wrong user name or secret");
    assertThat(java.util.Objects.requireNonNull(wrong.failure()).refusal())
        .isEqualTo(java.util.Objects.requireNonNull(unknown.failure()).refusal())
        .isEqualTo(ServerEvent.Reason.NOT_AUTHENTICATED);
  }

  @Test
  void aUserCannotTakeANameItIsNotAllowed() throws Exception {
    authenticator = FileAuthenticator.open(file);
    AuthDecision decision = decide("alice", as("ops", "pager"));
    assertThat(decision.failure()).isEqualTo(ClientAuthFailure.NAME_NOT_ALLOWED);
    assertThat(java.util.Objects.requireNonNull(decision.failure()).refusal())
        .isEqualTo(ServerEvent.Reason.NOT_AUTHORIZED);
    assertThat(decision.reason()).isEqualTo("user ops may not take the name alice");
  }

  @Test
  void noCredentialIsRefusedWithoutUsingThePool() throws Exception {
    authenticator = FileAuthenticator.open(file);
    AuthDecision decision = decide("alice", null);
    assertThat(decision.failure()).isEqualTo(ClientAuthFailure.NO_CREDENTIAL);
    assertThat(decision.reason()).contains("requires a user name and password");
  }

  @Test
  void aFullVerifierPoolRefusesAtOnceAsBusy() throws Exception {
    FileAuthenticator one = FileAuthenticator.open(file, 1, 1, System::nanoTime);
    authenticator = one;
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    one.beforeCheck = () -> {
      started.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    // One attempt on the one thread, one in the one queue slot: the third finds no room.
    CompletableFuture<AuthDecision> first = one.authenticate(
            new AuthAttempt("alice", as("alice", "wonderland"), "a"))
        .toCompletableFuture();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<AuthDecision> queued = one.authenticate(
            new AuthAttempt("alice", as("alice", "wonderland"), "a"))
        .toCompletableFuture();
    CompletableFuture<AuthDecision> third = one.authenticate(
            new AuthAttempt("alice", as("alice", "wonderland"), "a"))
        .toCompletableFuture();
    assertThat(third).isDone();
    AuthDecision refused = third.get();
    assertThat(refused.failure()).isEqualTo(ClientAuthFailure.BUSY);
    assertThat(java.util.Objects.requireNonNull(refused.failure()).refusal())
        .isEqualTo(ServerEvent.Reason.BUSY);
    assertThat(refused.reason()).contains("try again");
    release.countDown();
    assertThat(first.get(10, TimeUnit.SECONDS).allowed()).isTrue();
    assertThat(queued.get(10, TimeUnit.SECONDS).allowed()).isTrue();
  }

  @Test
  void aChangedFileIsReadAgainAndABrokenOneKeepsTheUsersBefore() throws Exception {
    long[] now = {0};
    authenticator = FileAuthenticator.open(file, 1, 4, () -> now[0]);
    assertThat(decide("carol", as("carol", "c")).failure())
        .isEqualTo(ClientAuthFailure.UNKNOWN_USER);
    UsersFile.addUser(file, "carol", "c".toCharArray(), List.of(), 1_000, new SecureRandom());
    Files.setLastModifiedTime(
        file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5_000));
    assertThat(decide("carol", as("carol", "c")).failure())
        .as("not looked at again within a second")
        .isEqualTo(ClientAuthFailure.UNKNOWN_USER);
    now[0] += 1_000_000_000L;
    assertThat(decide("carol", as("carol", "c")).allowed()).isTrue();
    Files.writeString(file, "carol:broken\n");
    now[0] += 1_000_000_000L;
    assertThat(decide("carol", as("carol", "c")).allowed()).isTrue();
  }
}
