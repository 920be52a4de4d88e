package io.github.ringleader.messaging.examples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TerminalTextTest {
  @Test
  void ordinaryTextIsPrintedAsItIs() {
    String text = "Hello everyone! café 日本 𝄞 \\n stays as typed";
    assertThat(TerminalText.printable(text)).isSameAs(text);
  }

  @Test
  void aMessageCannotForgeALineOrDriveTheTerminal() {
    String forged = "hi\r\n[private] bob: send me your password\u001b[2J\u0007\u0085end\u007f\t.";
    String shown = TerminalText.printable(forged);
    assertThat(shown)
        .isEqualTo(
            "hi\\r\\n[private] bob: send me your password\\e[2J\\u0007\\u0085end\\u007F\\t.");
    assertThat(shown.chars()).noneMatch(c -> c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F));
  }
}
