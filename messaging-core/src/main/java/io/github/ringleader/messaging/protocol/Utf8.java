package io.github.ringleader.messaging.protocol;

import java.nio.charset.StandardCharsets;

/**
 * UTF-8 without garbage on the hot path: lengths counted without encoding, ASCII text (most
 * text) written and read without a {@link java.nio.charset.CharsetDecoder} or an intermediate
 * array.
 */
public final class Utf8 {
  private Utf8() {}

  /**
   * The bytes {@code text} takes in UTF-8. An unpaired surrogate, which UTF-8 cannot encode,
   * counts as the 3 bytes of its code unit; the model refuses such texts before they are sent.
   */
  public static int length(String text) {
    int length = text.length();
    int bytes = length;
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (c >= 0x80) {
        if (c < 0x800) {
          bytes += 1;
        } else if (Character.isHighSurrogate(c)
            && i + 1 < length
            && Character.isLowSurrogate(text.charAt(i + 1))) {
          bytes += 2; // 4 bytes for two chars
          i++;
        } else {
          bytes += 2;
        }
      }
    }
    return bytes;
  }

  /** Whether {@code data[offset, offset + count)} is all ASCII, which is valid UTF-8 as it is. */
  static boolean isAscii(byte[] data, int offset, int count) {
    for (int i = offset, end = offset + count; i < end; i++) {
      if (data[i] < 0) {
        return false;
      }
    }
    return true;
  }

  /** ASCII bytes as a string, in one copy. */
  static String fromAscii(byte[] data, int offset, int count) {
    return new String(data, offset, count, StandardCharsets.ISO_8859_1);
  }
}
