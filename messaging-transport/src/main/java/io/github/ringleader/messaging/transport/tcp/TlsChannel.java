package io.github.ringleader.messaging.transport.tcp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * TLS over one non-blocking {@link SocketChannel}, server side: an {@link SSLEngine} between the
 * client listener's plaintext buffers and the socket. The listener reads and writes through it as
 * it would through the channel ({@link #read}, {@link #write}); the handshake runs inside those
 * calls, driven by the socket's readiness, and nothing of the client protocol passes before it
 * has finished.
 *
 * <p>What it promises:
 *
 * <ul>
 *   <li>{@link #write} takes application bytes only once the handshake is done, and only as many
 *       as fit into its one outbound buffer; what it took leaves with later calls ({@link
 *       #hasPendingOutput()} says whether any is still waiting for the socket).
 *   <li>A first byte that cannot start a TLS record (the client protocol's frames start with 0)
 *       is reported as {@link NotTlsException} before anything else is done with it.
 *   <li>A handshake that fails (a refused protocol version, no shared cipher, an alert from the
 *       client, no client certificate when one is required) is reported as {@link
 *       HandshakeException} with the engine's reason; the alert the engine has for the client is
 *       sent if the socket takes it at once.
 * </ul>
 *
 * <p>Delegated tasks (certificate checks) run inline on the caller's thread: they take a
 * millisecond or so, and the selector thread is the only one that would wait for them.
 *
 * <p>Not thread-safe: the selector thread owns it.
 */
final class TlsChannel {
  /** The content type of a TLS handshake record: what a TLS client's first byte is. */
  private static final int HANDSHAKE_RECORD = 0x16;

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final SocketChannel channel;
  private final SSLEngine engine;
  /** Bytes from the socket not unwrapped yet (write mode). */
  private ByteBuffer netIn;
  /** Plaintext unwrapped and not handed on yet (write mode). */
  private ByteBuffer appIn;
  /** Records wrapped and not written to the socket yet (write mode). */
  private ByteBuffer netOut;

  private boolean firstByteSeen;
  private boolean handshakeDone;
  /** The last unwrap wanted more bytes than {@link #netIn} holds: only the socket can help. */
  private boolean underflow;

  private boolean inboundClosed;

  /** The first byte was not that of a TLS record: a plaintext client on a TLS port. */
  static final class NotTlsException extends IOException {
    NotTlsException(int firstByte) {
      super(String.format("the first byte 0x%02x does not start a TLS record", firstByte));
    }
  }

  /** The TLS handshake failed; the message is the engine's reason. */
  static final class HandshakeException extends IOException {
    HandshakeException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  TlsChannel(SocketChannel channel, SSLEngine engine) {
    this.channel = channel;
    this.engine = engine;
    int packet = engine.getSession().getPacketBufferSize();
    int application = engine.getSession().getApplicationBufferSize();
    this.netIn = ByteBuffer.allocate(packet);
    this.appIn = ByteBuffer.allocate(application);
    this.netOut = ByteBuffer.allocate(packet);
  }

  /** Whether the handshake has finished: from then on application bytes pass. */
  boolean handshakeDone() {
    return handshakeDone;
  }

  /** The negotiated protocol, e.g. {@code TLSv1.3}, once the handshake is done. */
  String protocol() {
    return engine.getSession().getProtocol();
  }

  /**
   * Reads what the socket has, runs the handshake on or unwraps it, and moves plaintext into
   * {@code dst} (as much as fits; the rest waits here, see {@link #hasBufferedInput()}).
   *
   * @return the plaintext bytes put into {@code dst}, or -1 at the end of the stream (the client
   *     closed, or sent close_notify) once everything before it was handed on
   * @throws NotTlsException if the client's first byte cannot start a TLS record
   * @throws HandshakeException if the handshake failed
   * @throws IOException if the socket failed, or a record after the handshake was bad
   */
  int read(ByteBuffer dst) throws IOException {
    int moved = transfer(dst);
    boolean eof = false;
    if (!inboundClosed && dst.hasRemaining()) {
      int count = channel.read(netIn);
      if (count < 0) {
        eof = true;
      } else if (count > 0) {
        underflow = false;
      }
      if (!firstByteSeen && netIn.position() > 0) {
        firstByteSeen = true;
        int first = netIn.get(0) & 0xff;
        if (first != HANDSHAKE_RECORD) {
          throw new NotTlsException(first);
        }
      }
      unwrapAll();
      moved += transfer(dst);
    }
    if (eof && !handshakeDone && firstByteSeen) {
      throw new HandshakeException(
          "the client closed the connection during the TLS handshake", new java.io.EOFException());
    }
    if (moved == 0 && appIn.position() == 0 && (eof || inboundClosed)) {
      return -1;
    }
    return moved;
  }

  /** Whether plaintext, or a whole record to unwrap, waits here without needing the socket. */
  boolean hasBufferedInput() {
    return appIn.position() > 0 || (netIn.position() > 0 && !underflow && !inboundClosed);
  }

  /**
   * Wraps bytes of {@code sources} into records and writes what the socket takes. Takes nothing
   * before the handshake is done, or while records of an earlier call still wait for the socket.
   *
   * @return how many bytes of {@code sources} it took
   */
  long write(ByteBuffer[] sources, int offset, int length) throws IOException {
    if (!flushPending() || !handshakeDone) {
      return 0;
    }
    long taken = 0;
    while (true) {
      SSLEngineResult result = wrap(sources, offset, length);
      taken += result.bytesConsumed();
      if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
        throw new IOException("the TLS session is closed");
      }
      if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
        if (netOut.position() == 0) {
          netOut = grow(netOut, engine.getSession().getPacketBufferSize());
          continue;
        }
        if (!flushNetOut()) {
          return taken;
        }
        continue;
      }
      if (!flushNetOut() || result.bytesConsumed() == 0) {
        return taken;
      }
    }
  }

  /** Whether records wait for the socket to take them (the listener then asks for OP_WRITE). */
  boolean hasPendingOutput() {
    return netOut.position() > 0;
  }

  /**
   * Writes the records waiting for the socket and, during the handshake, goes on with it as far
   * as it can without new input.
   *
   * @return whether nothing waits for the socket any more
   */
  boolean flushPending() throws IOException {
    if (!flushNetOut()) {
      return false;
    }
    if (!handshakeDone && firstByteSeen) {
      unwrapAll(); // a wrap held back by a full socket goes on now
      return flushNetOut();
    }
    return true;
  }

  /**
   * Best effort, never blocks: tells the client the session ends (close_notify) if the socket
   * takes it at once. For a connection being closed anyway.
   */
  void closeOutbound() {
    try {
      engine.closeOutbound();
      if (handshakeDone) {
        wrap(new ByteBuffer[] {EMPTY}, 0, 1);
        flushNetOut();
      }
    } catch (IOException | RuntimeException e) {
      // closing anyway
    }
  }

  // ---------------------------------------------------------------- the engine

  /** Unwraps what {@link #netIn} holds and does what the handshake asks, until stuck. */
  private void unwrapAll() throws IOException {
    try {
      while (true) {
        HandshakeStatus status = engine.getHandshakeStatus();
        if (status == HandshakeStatus.NEED_TASK) {
          Runnable task;
          while ((task = engine.getDelegatedTask()) != null) {
            task.run();
          }
          continue;
        }
        if (status == HandshakeStatus.NEED_WRAP) {
          SSLEngineResult result = engine.wrap(EMPTY, netOut);
          noteFinished(result);
          if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
            if (netOut.position() == 0) {
              netOut = grow(netOut, engine.getSession().getPacketBufferSize());
            } else if (!flushNetOut()) {
              return; // the socket is full: flushPending() goes on when it takes more
            }
          } else if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
            flushNetOut();
            return;
          }
          flushNetOut();
          continue;
        }
        if (inboundClosed) {
          return;
        }
        netIn.flip();
        SSLEngineResult result;
        try {
          result = engine.unwrap(netIn, appIn);
        } finally {
          netIn.compact();
        }
        noteFinished(result);
        switch (result.getStatus()) {
          case OK:
            if (result.bytesConsumed() == 0
                && result.bytesProduced() == 0
                && engine.getHandshakeStatus() != HandshakeStatus.NEED_TASK
                && engine.getHandshakeStatus() != HandshakeStatus.NEED_WRAP) {
              return;
            }
            break;
          case BUFFER_UNDERFLOW:
            if (netIn.remaining() == 0) {
              netIn = grow(netIn, engine.getSession().getPacketBufferSize());
            }
            underflow = true;
            return;
          case BUFFER_OVERFLOW:
            if (appIn.position() == 0) {
              appIn = grow(appIn, engine.getSession().getApplicationBufferSize());
              break;
            }
            return; // hand on what is there first
          case CLOSED:
            inboundClosed = true;
            if (engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP) {
              break; // answer the close_notify, then stop
            }
            return;
          default:
            throw new IllegalStateException("unexpected unwrap status " + result.getStatus());
        }
      }
    } catch (SSLException e) {
      if (handshakeDone) {
        throw e;
      }
      sendAlert();
      throw new HandshakeException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
    }
  }

  private SSLEngineResult wrap(ByteBuffer[] sources, int offset, int length) throws SSLException {
    SSLEngineResult result = engine.wrap(sources, offset, length, netOut);
    noteFinished(result);
    return result;
  }

  private void noteFinished(SSLEngineResult result) {
    if (result.getHandshakeStatus() == HandshakeStatus.FINISHED) {
      handshakeDone = true;
    }
  }

  /** After a failed handshake the engine has an alert for the client; send it if it goes now. */
  private void sendAlert() {
    try {
      for (int i = 0; i < 4 && engine.getHandshakeStatus() == HandshakeStatus.NEED_WRAP; i++) {
        engine.wrap(EMPTY, netOut);
      }
      flushNetOut();
    } catch (IOException | RuntimeException e) {
      // the connection is closed anyway
    }
  }

  /** @return whether {@link #netOut} is empty now */
  private boolean flushNetOut() throws IOException {
    if (netOut.position() == 0) {
      return true;
    }
    netOut.flip();
    try {
      channel.write(netOut);
    } finally {
      netOut.compact();
    }
    return netOut.position() == 0;
  }

  /** Moves plaintext waiting here into {@code dst}. */
  private int transfer(ByteBuffer dst) {
    if (appIn.position() == 0) {
      return 0;
    }
    appIn.flip();
    int n = Math.min(appIn.remaining(), dst.remaining());
    ByteBuffer slice = appIn.slice(appIn.position(), n);
    dst.put(slice);
    appIn.position(appIn.position() + n);
    appIn.compact();
    return n;
  }

  private static ByteBuffer grow(ByteBuffer buffer, int wanted) {
    ByteBuffer bigger = ByteBuffer.allocate(Math.max(wanted, buffer.capacity() * 2));
    buffer.flip();
    bigger.put(buffer);
    return bigger;
  }
}
