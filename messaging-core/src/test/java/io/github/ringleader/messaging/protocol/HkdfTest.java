package io.github.ringleader.messaging.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The test vectors of RFC 5869, appendix A, for HKDF with SHA-256. */
class HkdfTest {
  private static final HexFormat HEX = HexFormat.of();

  private static byte[] ikm() {
    byte[] ikm = new byte[22];
    Arrays.fill(ikm, (byte) 0x0b);
    return ikm;
  }

  @Test
  void rfc5869TestCase1() {
    Hkdf hkdf = Hkdf.extract(HEX.parseHex("000102030405060708090a0b0c"), ikm());
    byte[] info = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");

    // The label and the context make up info; split it anywhere, the output is the same.
    assertThat(HEX.formatHex(hkdf.expand(Arrays.copyOf(info, 3), info, 3, 10, 42)))
        .isEqualTo(
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  }

  @Test
  void rfc5869TestCase3WithEmptySaltAndInfo() {
    Hkdf hkdf = Hkdf.extract(new byte[0], ikm());

    assertThat(HEX.formatHex(hkdf.expand(new byte[0], 42)))
        .isEqualTo(
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  }
}
