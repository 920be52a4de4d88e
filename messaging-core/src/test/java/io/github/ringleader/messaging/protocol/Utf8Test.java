package io.github.ringleader.messaging.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class Utf8Test {
  @Test
  void lengthIsWhatEncodingGivesForEveryWidthOfCharacter() {
    for (String text :
        List.of("", "hello", "é", "ﬁ€", "𝄞 clef", "a\u0000b", "日本語のテキスト", "mixé 𝄞 € end")) {
      assertThat(Utf8.length(text))
          .as(text)
          .isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  @Test
  void asciiIsRecognisedAndReadAsIs() {
    byte[] data = "xxHello, world!yy".getBytes(StandardCharsets.US_ASCII);
    assertThat(Utf8.isAscii(data, 2, 13)).isTrue();
    assertThat(Utf8.fromAscii(data, 2, 13)).isEqualTo("Hello, world!");
    byte[] accented = "café".getBytes(StandardCharsets.UTF_8);
    assertThat(Utf8.isAscii(accented, 0, accented.length)).isFalse();
    assertThat(Utf8.isAscii(accented, 0, 3)).isTrue();
  }
}
