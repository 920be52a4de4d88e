package io.github.ringleader.messaging.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class PasswordHashesTest {
  private static final byte[] SALT = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f");

  @Test
  void theRightPasswordMatchesAndAnyOtherDoesNot() {
    byte[] hash = PasswordHashes.hash("s3cret".toCharArray(), SALT, 1_000);
    assertThat(hash).hasSize(PasswordHashes.HASH_BYTES);
    assertThat(PasswordHashes.matches("s3cret".toCharArray(), SALT, 1_000, hash))
        .isTrue();
    assertThat(PasswordHashes.matches("s3creT".toCharArray(), SALT, 1_000, hash))
        .isFalse();
    assertThat(PasswordHashes.matches("s3cret".toCharArray(), SALT, 1_001, hash))
        .isFalse();
    assertThat(PasswordHashes.matches(new char[0], SALT, 1_000, hash)).isFalse();
  }

  @Test
  void theHashIsPbkdf2HmacSha256AsRfc8018DefinesIt() throws Exception {
    // One block of PBKDF2 by hand: U1 = HMAC(P, S || INT(1)), Ui = HMAC(P, Ui-1), T = U1 ^ ... ^
    // Uc.
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec("pässword".getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    mac.update(SALT);
    byte[] u = mac.doFinal(new byte[] {0, 0, 0, 1});
    byte[] t = u.clone();
    for (int i = 1; i < 1_000; i++) {
      u = mac.doFinal(u);
      for (int j = 0; j < t.length; j++) {
        t[j] ^= u[j];
      }
    }
    assertThat(PasswordHashes.hash("pässword".toCharArray(), SALT, 1_000)).isEqualTo(t);
  }

  @Test
  void saltsAreRandomAndSixteenBytes() {
    java.security.SecureRandom random = new java.security.SecureRandom();
    byte[] a = PasswordHashes.newSalt(random);
    assertThat(a).hasSize(16);
    assertThat(PasswordHashes.newSalt(random)).isNotEqualTo(a);
  }

  @Test
  void iterationsOutsideTheirRangeAndEmptyPasswordsAreRefused() {
    assertThatThrownBy(() -> PasswordHashes.hash("x".toCharArray(), SALT, 999))
        .hasMessage("iterations must be 1000..100000000, was 999");
    assertThatThrownBy(() -> PasswordHashes.hash(new char[0], SALT, 1_000))
        .hasMessage("a password must not be empty");
  }
}
