package io.github.ringleader.messaging.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the Jazzer fuzz tests of the decoders ({@code *FuzzTest}) share: the bound on what one
 * decode may allocate, and helpers to state the properties briefly.
 */
final class FuzzChecks {
  /**
   * What a decode may allocate beyond its share per input byte: records, a strict UTF-8 decoder,
   * an exception with its message. An allocation for a length or a count that the input merely
   * announces (up to 2^32 bytes, or 2^16 elements of a list) is far above the bound. Seen while
   * fuzzing: at most about 32 KiB, for inputs of 1.7 KB.
   */
  static final long ALLOCATION_BASE_BYTES = 128 * 1024;

  /** Per input byte of a codec: a string's chars and its copy, list slots, records. */
  static final long CODEC_ALLOCATION_PER_INPUT_BYTE = 64;

  /**
   * Per input byte of an authenticated datagram: each frame (35 bytes or more) also gets an HMAC
   * computed under each key and a line of replay bookkeeping. Seen: up to about 250 per byte, for
   * datagrams of many small frames.
   */
  static final long AUTHENTICATED_ALLOCATION_PER_INPUT_BYTE = 512;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static final HexFormat HEX = HexFormat.of();

  private FuzzChecks() {}

  /** A decode step: returns its result or throws the decoder's checked exception. */
  @FunctionalInterface
  interface Decode<T> {
    T run() throws Exception;
  }

  /** The result of a decode step: a value, or the exception it threw. */
  record Outcome<T>(@Nullable T value, @Nullable Exception failure) {
    boolean decoded() {
      return failure == null;
    }

    /** The value; only for an outcome that {@link #decoded}. */
    T get() {
      return Objects.requireNonNull(value, "no value: the decode threw");
    }

    /** The exception; only for an outcome that did not {@link #decoded decode}. */
    Exception thrown() {
      return Objects.requireNonNull(failure, "no exception: the decode returned");
    }
  }

  /**
   * Runs {@code decode} twice and returns what the second run produced, having checked that it
   * allocated no more than the bound for {@code inputLength} bytes. The first run is not measured:
   * it loads (and, while fuzzing, instruments) the classes of the path it takes, which allocates
   * far more than any decode, once. The two runs must agree: a decoder holds no state. Only
   * {@code allowed} exceptions are an outcome; anything else (an unchecked exception, an error)
   * propagates, which Jazzer reports as a finding.
   */
  @SafeVarargs
  static <T> Outcome<T> decodeWithin(
      int inputLength, Decode<T> decode, Class<? extends Exception>... allowed) throws Exception {
    Outcome<T> first = run(decode, allowed);
    Outcome<T> outcome = measured(inputLength, CODEC_ALLOCATION_PER_INPUT_BYTE, decode, allowed);
    assertSameOutcome(outcome, first, "the same decode again");
    return outcome;
  }

  /**
   * Like {@link #decodeWithin(int, Decode, Class[])} for the authenticated-frame check, which has
   * state (a receiver's replay window): {@code warmUp} takes the same path as {@code decode} on a
   * receiver in the same state.
   */
  @SafeVarargs
  static <T> Outcome<T> decodeAfterWarmUp(
      int inputLength, Decode<T> warmUp, Decode<T> decode, Class<? extends Exception>... allowed)
      throws Exception {
    run(warmUp, allowed);
    return measured(inputLength, AUTHENTICATED_ALLOCATION_PER_INPUT_BYTE, decode, allowed);
  }

  @SafeVarargs
  private static <T> Outcome<T> measured(
      int inputLength, long perInputByte, Decode<T> decode, Class<? extends Exception>... allowed)
      throws Exception {
    long before = THREADS.getCurrentThreadAllocatedBytes();
    Outcome<T> outcome = run(decode, allowed);
    long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
    assertThat(allocated)
        .as("bytes allocated to decode %d input bytes", inputLength)
        .isLessThanOrEqualTo(ALLOCATION_BASE_BYTES + perInputByte * inputLength);
    return outcome;
  }

  @SafeVarargs
  private static <T> Outcome<T> run(Decode<T> decode, Class<? extends Exception>... allowed)
      throws Exception {
    try {
      return new Outcome<>(decode.run(), null);
    } catch (Exception e) {
      for (Class<? extends Exception> type : allowed) {
        if (type.isInstance(e)) {
          return new Outcome<>(null, e);
        }
      }
      throw e;
    }
  }

  /** {@code input} at offset 3 of a larger array whose other bytes are 0xFF. */
  static byte[] padded(byte[] input) {
    byte[] padded = new byte[input.length + 8];
    Arrays.fill(padded, (byte) 0xFF);
    System.arraycopy(input, 0, padded, 3, input.length);
    return padded;
  }

  static String hex(byte[] input) {
    return HEX.formatHex(input, 0, Math.min(input.length, 256))
        + (input.length > 256 ? "... (" + input.length + " bytes)" : "");
  }

  /**
   * Two outcomes of decoding the same frame from different arrays are the same: equal values, or
   * exceptions of the same class and message.
   */
  static void assertSameOutcome(Outcome<?> actual, Outcome<?> expected, String what) {
    if (expected.decoded()) {
      assertThat(actual.failure()).as(what).isNull();
      assertThat(actual.value()).as(what).isEqualTo(expected.value());
    } else {
      assertThat(actual.failure()).as(what).isNotNull();
      assertThat(actual.thrown().getClass())
          .as(what)
          .isEqualTo(expected.thrown().getClass());
      assertThat(actual.thrown().getMessage())
          .as(what)
          .isEqualTo(expected.thrown().getMessage());
    }
  }
}
