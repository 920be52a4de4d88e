package io.github.ringleader.messaging.transport;

/**
 * Bytes that are not a valid cluster frame. {@link #reason()} names the rule the input broke, so
 * a transport can count drops by kind; the message says exactly what was wrong, for the log.
 *
 * <p>It describes bad input, not a fault in the program, so it carries no stack trace: a flood of
 * garbage datagrams costs no more than the decoding itself. Messages never repeat raw control or
 * non-ASCII bytes from the input, so they are safe to log as they are.
 */
public final class CodecException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The rule a frame broke. See {@code docs/wire-protocol.md}. */
  public enum Reason {
    /**
     * The input ends before the frame, or before a field the frame says is there; or a list
     * announces more elements than the bytes left could hold.
     */
    TRUNCATED,
    /** The length prefix announces a frame larger than the codec's maximum frame size. */
    OVERSIZED,
    /** The frame does not start with the magic bytes {@code 'R' 'L'}. */
    BAD_MAGIC,
    /** The frame is of a protocol version this codec does not speak. */
    UNSUPPORTED_VERSION,
    /** The type code belongs to no known message. */
    UNKNOWN_TYPE,
    /** A node id is empty, too long or has a character ids may not have. */
    INVALID_ID,
    /**
     * A field other than a node id breaks its rule: a cluster or client name, a negative number,
     * a text over its limit or not well-formed UTF-8, an unknown stream entry code, a carried
     * entry carrying another, a part outside its parts.
     */
    INVALID_FIELD,
    /** More bytes follow the frame than its length prefix or its body account for. */
    LENGTH_MISMATCH
  }

  private final Reason reason;

  /** For the codecs (internal); the constructor is public only because they live in another package. */
  public CodecException(Reason reason, String message) {
    super(message, null, true, false);
    this.reason = reason;
  }

  /** Which rule the input broke. */
  public Reason reason() {
    return reason;
  }
}
