package io.github.ringleader.messaging.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.node.NodeId;
import io.github.ringleader.messaging.transport.AuthFailure;
import io.github.ringleader.messaging.transport.ClusterKey;
import io.github.ringleader.messaging.transport.CodecException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class FrameAuthenticatorTest {
  private static final ClusterKey KEY = ClusterKey.of(filled(1));
  private static final ClusterKey OTHER = ClusterKey.of(filled(2));
  private static final ClusterEnvelope HEARTBEAT = new ClusterEnvelope(
      "prod",
      NodeId.of("server2"),
      1_700_000_000_000L,
      new Heartbeat(42, 7000, NodeId.of("server9"), 3, 17, 100, "10.0.0.2", 2000, 3));

  private static byte[] filled(int value) {
    byte[] key = new byte[ClusterKey.KEY_BYTES];
    Arrays.fill(key, (byte) value);
    return key;
  }

  private static List<ClusterEnvelope> open(FrameAuthenticator receiver, byte[] datagram)
      throws Exception {
    List<ClusterEnvelope> out = new ArrayList<>();
    receiver.openAll(datagram, 0, datagram.length, out);
    return out;
  }

  private static AuthFailure refusal(FrameAuthenticator receiver, byte[] datagram) {
    List<ClusterEnvelope> out = new ArrayList<>();
    try {
      receiver.openAll(datagram, 0, datagram.length, out);
    } catch (AuthenticationException e) {
      assertThat(out).as("nothing added").isEmpty();
      return e.reason();
    } catch (CodecException e) {
      throw new AssertionError("expected an authentication failure, got " + e.reason(), e);
    }
    throw new AssertionError("accepted");
  }

  private static CodecException.Reason malformed(FrameAuthenticator receiver, byte[] datagram) {
    List<ClusterEnvelope> out = new ArrayList<>();
    try {
      receiver.openAll(datagram, 0, datagram.length, out);
    } catch (CodecException e) {
      assertThat(out).as("nothing added").isEmpty();
      return e.reason();
    } catch (AuthenticationException e) {
      throw new AssertionError("expected a malformed frame, got " + e.reason(), e);
    }
    throw new AssertionError("accepted");
  }

  /** Where the clear header of a sealed HEARTBEAT ends: 27 + "prod" + "server2" + incarnation. */
  private static final int HEARTBEAT_HEADER_END = 27 + 5 + 8 + 8;

  @Test
  void aSealedFrameOpensToTheSameEnvelopeWithOnlyTheRoutingHeaderInClear() throws Exception {
    byte[] plain = ClusterCodec.encode(HEARTBEAT);
    byte[] sealed = new FrameAuthenticator(KEY).seal(plain);

    assertThat(sealed.length)
        .isEqualTo(plain.length + FrameAuthenticator.OVERHEAD_BYTES)
        .isEqualTo(plain.length + 36);
    assertThat(Arrays.copyOfRange(sealed, 0, 7)).containsExactly(0, 0, 0, 110, 0x52, 0x41, 2);
    assertThat(Arrays.copyOfRange(sealed, 11, 19)).as("frameSeq 0").containsOnly(0);
    assertThat(Arrays.copyOfRange(sealed, 27, HEARTBEAT_HEADER_END))
        .as("cluster, sender, incarnation in clear, as in the plain frame")
        .isEqualTo(Arrays.copyOfRange(plain, 8, 29));
    assertThat(Arrays.copyOfRange(sealed, HEARTBEAT_HEADER_END, sealed.length - 16))
        .as("type and body encrypted")
        .isNotEqualTo(concat(new byte[] {plain[7]}, Arrays.copyOfRange(plain, 29, plain.length)));
    assertThat(open(new FrameAuthenticator(KEY), sealed)).containsExactly(HEARTBEAT);
  }

  /** Found by reading ReplayWindow while fuzzing: one datagram may hold frames far apart. */
  @Test
  void aFrameBelowTheWindowWhenAcceptedDoesNotMarkAFrameInsideIt() {
    ReplayWindow window = new ReplayWindow(4);
    NodeId sender = NodeId.of("server2");
    window.accept("prod", sender, 7, 3_000); // checked together with frame 5, accepted first
    window.accept("prod", sender, 7, 5); // 2,995 below: outside the window of 1,024

    long aliasOf5 = 5 + 2 * ReplayWindow.WINDOW; // 2,053: inside the window, never seen
    assertThat(window.isNew("prod", sender, 7, aliasOf5)).isTrue();
    assertThat(window.isNew("prod", sender, 7, 3_000)).isFalse();
  }

  /** Found by FrameAuthenticatorFuzzTest: sealing wrote its own length and so repaired a bad one. */
  @Test
  void sealingRefusesAPlainFrameWithAWrongLengthPrefixOrVersion() {
    byte[] plain = ClusterCodec.encode(HEARTBEAT);
    byte[] longer = plain.clone();
    longer[1] = 1; // announces 65,536 bytes more than it has
    byte[] version2 = plain.clone();
    version2[6] = 2;
    FrameAuthenticator sealer = new FrameAuthenticator(KEY);

    assertThatThrownBy(() -> sealer.seal(longer))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("announces 65610 bytes after its length prefix but has 74");
    assertThatThrownBy(() -> sealer.seal(version2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("plain frame version 2, expected 1");
    assertThat(sealer.seal(plain)).hasSize(plain.length + FrameAuthenticator.OVERHEAD_BYTES);
  }

  /** The worked example of docs/wire-protocol.md, "Sealed frames" (also computed independently). */
  @Test
  void theDocumentedExampleEncodesToTheBytesTheSpecDescribes() throws Exception {
    byte[] sealed =
        new FrameAuthenticator(KEY, 8, 0x0123456789abcdefL).seal(ClusterCodec.encode(HEARTBEAT), 5);

    assertThat(HexFormat.ofDelimiter(" ").formatHex(sealed))
        .isEqualTo(
            "00 00 00 6e 52 41 02 70 15 01 54 00 00 00 00 00 00 00 05 01 23 45 67 89 ab cd ef "
                + "04 70 72 6f 64 07 73 65 72 76 65 72 32 00 00 01 8b cf e5 68 00 "
                + "c1 db 4f 3f 9c 3a b8 88 e4 29 f0 35 59 c3 ca aa ae 55 97 9c 59 29 11 e9 ef 54 "
                + "dd 22 6c e5 2b 90 8a c8 e2 94 21 74 c6 b2 ef 8f a0 06 79 1f b4 bb ad d3 "
                + "32 d6 78 b3 63 9c d2 16 dd 74 b9 70 49 58 fb 55");
    assertThat(ClusterKey.of(filled(1)).signingKeyBase64())
        .isEqualTo("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=");
    assertThat(open(new FrameAuthenticator(KEY), sealed)).containsExactly(HEARTBEAT);
  }

  /** The spec's derivation, done here by hand with the JDK, opens what the authenticator seals. */
  @Test
  void theBodyIsAes256GcmUnderAFrameKeyDerivedWithHkdf() throws Exception {
    byte[] plain = ClusterCodec.encode(HEARTBEAT);
    byte[] sealed = new FrameAuthenticator(KEY).seal(plain);

    Mac extract = Mac.getInstance("HmacSHA256");
    extract.init(new SecretKeySpec(
        "ringleader cluster frames v2".getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
    byte[] prk = extract.doFinal(filled(1));
    Mac expand = Mac.getInstance("HmacSHA256");
    expand.init(new SecretKeySpec(prk, "HmacSHA256"));
    expand.update("ringleader key id".getBytes(StandardCharsets.US_ASCII));
    expand.update((byte) 1);
    assertThat(Arrays.copyOfRange(sealed, 7, 11)).isEqualTo(Arrays.copyOf(expand.doFinal(), 4));
    expand.update("ringleader frame key".getBytes(StandardCharsets.US_ASCII));
    expand.update(sealed, 19, HEARTBEAT_HEADER_END - 19); // sealer, cluster, sender, incarnation
    expand.update((byte) 1);
    byte[] frameKey = expand.doFinal();

    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    byte[] nonce = new byte[12];
    System.arraycopy(sealed, 11, nonce, 4, 8); // 0x00000000 | frameSeq
    gcm.init(
        Cipher.DECRYPT_MODE, new SecretKeySpec(frameKey, "AES"), new GCMParameterSpec(128, nonce));
    gcm.updateAAD(sealed, 0, HEARTBEAT_HEADER_END);
    byte[] typeAndBody =
        gcm.doFinal(sealed, HEARTBEAT_HEADER_END, sealed.length - HEARTBEAT_HEADER_END);

    assertThat(typeAndBody)
        .isEqualTo(concat(new byte[] {plain[7]}, Arrays.copyOfRange(plain, 29, plain.length)));
  }

  @Test
  void aChatsTextIsNotInTheSealedFrame() throws Exception {
    String secret = "meet me at the old mill at nine";
    ClusterEnvelope chat = new ClusterEnvelope(
        "prod",
        NodeId.of("server2"),
        7,
        new Sequenced(1L << 40, 1, new StreamEntry.Chat("alice", 11, 1, "bob", secret)));
    byte[] plain = ClusterCodec.encode(chat);
    byte[] sealed = new FrameAuthenticator(KEY).seal(plain);

    String plainText = new String(plain, StandardCharsets.ISO_8859_1);
    String sealedText = new String(sealed, StandardCharsets.ISO_8859_1);
    assertThat(plainText).contains(secret).contains("alice").contains("bob");
    assertThat(sealedText).doesNotContain(secret).doesNotContain("alice").doesNotContain("bob");
    assertThat(open(new FrameAuthenticator(KEY), sealed)).containsExactly(chat);
  }

  @Test
  void everyTamperedByteIsRefusedBeforeDecoding() throws Exception {
    byte[] sealed = new FrameAuthenticator(KEY).seal(ClusterCodec.encode(HEARTBEAT));
    FrameAuthenticator receiver = new FrameAuthenticator(KEY);
    // From the key id on: key id, frameSeq, sealer, cluster, sender, incarnation (the clear
    // header), the encrypted type and body, and the tag itself.
    int clusterCount = 27;
    for (int at = 7; at < sealed.length; at++) {
      byte[] tampered = sealed.clone();
      tampered[at] ^= 0x01;
      if (at == clusterCount) {
        // A longer cluster name would reach past the frame's end: broken before any key is used.
        // (A shorter one, or another sender count, moves the header's end: the tag fails.)
        assertThat(malformed(receiver, tampered)).isEqualTo(CodecException.Reason.TRUNCATED);
      } else {
        assertThat(refusal(receiver, tampered))
            .as("byte %d flipped", at)
            .isEqualTo(AuthFailure.BAD_MAC);
      }
    }
    assertThat(open(receiver, sealed)).as("the genuine frame still opens").hasSize(1);
  }

  @Test
  void aFrameSealedWithAnotherKeyIsRefusedAsBadMacNamingItsKeyId() {
    byte[] forged = new FrameAuthenticator(OTHER).seal(ClusterCodec.encode(HEARTBEAT));

    assertThat(refusal(new FrameAuthenticator(KEY), forged)).isEqualTo(AuthFailure.BAD_MAC);
    assertThatThrownBy(() -> open(new FrameAuthenticator(KEY), forged))
        .hasMessageContaining(HexFormat.of().formatHex(forged, 7, 11))
        .hasMessageContaining("70150154"); // the id of KEY, as in the spec's example
  }

  @Test
  void aTruncatedFrameIsRefusedAndNeverDecrypted() throws Exception {
    byte[] sealed = new FrameAuthenticator(KEY).seal(ClusterCodec.encode(HEARTBEAT));
    FrameAuthenticator receiver = new FrameAuthenticator(KEY);

    // Cut short on the way: the length prefix announces more than arrived.
    assertThat(malformed(receiver, Arrays.copyOf(sealed, sealed.length - 1)))
        .isEqualTo(CodecException.Reason.TRUNCATED);
    // Cut short with a length prefix to match: the tag no longer fits.
    byte[] shortened = Arrays.copyOf(sealed, sealed.length - 5);
    shortened[3] -= 5;
    assertThat(refusal(receiver, shortened)).isEqualTo(AuthFailure.BAD_MAC);
    // Shorter than any sealed frame, and one that ends inside its clear header.
    for (int keep : new int[] {5, 7, 20, 55, HEARTBEAT_HEADER_END + 16}) {
      byte[] stub = Arrays.copyOf(sealed, keep);
      stub[0] = stub[1] = stub[2] = 0;
      stub[3] = (byte) (keep - 4);
      assertThat(malformed(receiver, stub))
          .as("%d bytes", keep)
          .isEqualTo(CodecException.Reason.TRUNCATED);
    }
    assertThat(open(receiver, sealed)).hasSize(1);
  }

  @Test
  void aVersion1FrameOfAnOlderServerIsRefusedClearly() {
    byte[] sealed = new FrameAuthenticator(KEY).seal(ClusterCodec.encode(HEARTBEAT));
    byte[] older = sealed.clone();
    older[6] = 1; // an HMAC frame of the previous release has the same magic and version 1

    assertThat(malformed(new FrameAuthenticator(KEY), older))
        .isEqualTo(CodecException.Reason.UNSUPPORTED_VERSION);
    assertThatThrownBy(() -> open(new FrameAuthenticator(KEY), older))
        .hasMessageContaining("version 1")
        .hasMessageContaining("older server");
  }

  @Test
  void noNonceRepeatsUnderOneKeyAcrossSendersAndLives() throws Exception {
    // Two senders, the same frame counter: different frame keys.
    ClusterEnvelope fromServer3 = new ClusterEnvelope(
        "prod", NodeId.of("server3"), HEARTBEAT.incarnation(), HEARTBEAT.message());
    byte[] a = new FrameAuthenticator(KEY, 8, 42).seal(ClusterCodec.encode(HEARTBEAT), 0);
    byte[] b = new FrameAuthenticator(KEY, 8, 42).seal(ClusterCodec.encode(fromServer3), 0);
    FrameKeys keys = new FrameKeys(KEY);
    assertThat(keys.frameKey(0, a, 19, HEARTBEAT_HEADER_END).getEncoded())
        .isNotEqualTo(keys.frameKey(0, b, 19, HEARTBEAT_HEADER_END).getEncoded());

    // One sender and incarnation in two lives of a transport (a restart that reused the
    // incarnation, or two servers given one id): each draws its own sealer, so its own key —
    // the same counter and plaintext give other key streams.
    byte[] plain = ClusterCodec.encode(HEARTBEAT);
    byte[] first = new FrameAuthenticator(KEY).seal(plain);
    byte[] second = new FrameAuthenticator(KEY).seal(plain);
    assertThat(Arrays.copyOfRange(first, 11, 19)).isEqualTo(Arrays.copyOfRange(second, 11, 19));
    assertThat(Arrays.copyOfRange(first, 19, 27))
        .as("sealer")
        .isNotEqualTo(Arrays.copyOfRange(second, 19, 27));
    assertThat(Arrays.copyOfRange(first, HEARTBEAT_HEADER_END, first.length))
        .isNotEqualTo(Arrays.copyOfRange(second, HEARTBEAT_HEADER_END, second.length));

    // One authenticator: every frame a new counter value, whatever thread seals.
    FrameAuthenticator shared = new FrameAuthenticator(KEY);
    List<Long> seqs = java.util.Collections.synchronizedList(new ArrayList<>());
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] = new Thread(() -> {
        for (int i = 0; i < 250; i++) {
          seqs.add(java.nio.ByteBuffer.wrap(shared.seal(plain), 11, 8).getLong());
        }
      });
      threads[t].start();
    }
    for (Thread thread : threads) {
      thread.join(10_000);
    }
    assertThat(seqs).hasSize(1_000).doesNotHaveDuplicates();
  }

  @Test
  void aPlainFrameIsRefusedAsNoMacAndAPlainReceiverSeesASealedOneAsBadMagic() {
    byte[] plain = ClusterCodec.encode(HEARTBEAT);
    assertThat(refusal(new FrameAuthenticator(KEY), plain)).isEqualTo(AuthFailure.NO_MAC);

    byte[] sealed = new FrameAuthenticator(KEY).seal(plain);
    assertThatThrownBy(() -> ClusterCodec.decode(sealed))
        .isInstanceOfSatisfying(
            CodecException.class,
            e -> assertThat(e.reason()).isEqualTo(CodecException.Reason.BAD_MAGIC));
  }

  @Test
  void aReplayedFrameIsRefusedAndADatagramWithAReplayYieldsNothing() throws Exception {
    FrameAuthenticator sender = new FrameAuthenticator(KEY);
    FrameAuthenticator receiver = new FrameAuthenticator(KEY);
    byte[] first = sender.seal(ClusterCodec.encode(HEARTBEAT));
    byte[] second = sender.seal(ClusterCodec.encode(HEARTBEAT));

    assertThat(open(receiver, first)).hasSize(1);
    assertThat(refusal(receiver, first)).isEqualTo(AuthFailure.REPLAYED);
    byte[] both = concat(second, first);
    assertThat(refusal(receiver, both)).isEqualTo(AuthFailure.REPLAYED);
    // The refused datagram recorded nothing: the fresh frame still counts once, then no more.
    assertThat(open(receiver, second)).hasSize(1);
    assertThat(refusal(receiver, second)).isEqualTo(AuthFailure.REPLAYED);
    byte[] third = sender.seal(ClusterCodec.encode(HEARTBEAT));
    assertThat(refusal(receiver, concat(third, third))).isEqualTo(AuthFailure.REPLAYED);
  }

  @Test
  void framesBackToBackInOneDatagramOpenInOrder() throws Exception {
    FrameAuthenticator sender = new FrameAuthenticator(KEY);
    ClusterEnvelope leave =
        new ClusterEnvelope("prod", NodeId.of("server2"), 1_700_000_000_000L, new Leave());
    byte[] datagram = concat(
        sender.seal(ClusterCodec.encode(HEARTBEAT)), sender.seal(ClusterCodec.encode(leave)));

    assertThat(open(new FrameAuthenticator(KEY), datagram)).containsExactly(HEARTBEAT, leave);
  }

  @Test
  void reorderedFramesInsideTheWindowCountButOlderOnesAndOlderIncarnationsDoNot() throws Exception {
    FrameAuthenticator sender = new FrameAuthenticator(KEY);
    FrameAuthenticator receiver = new FrameAuthenticator(KEY);
    byte[] plain = ClusterCodec.encode(HEARTBEAT);

    assertThat(open(receiver, sender.seal(plain, 2_000))).hasSize(1);
    assertThat(open(receiver, sender.seal(plain, 1_500)))
        .as("late, inside the window")
        .hasSize(1);
    assertThat(refusal(receiver, sender.seal(plain, 2_000 - ReplayWindow.WINDOW)))
        .as("below the window")
        .isEqualTo(AuthFailure.REPLAYED);

    ClusterEnvelope older =
        new ClusterEnvelope("prod", NodeId.of("server2"), 1_600_000_000_000L, new Leave());
    assertThat(refusal(receiver, sender.seal(ClusterCodec.encode(older), 5_000)))
        .as("an older life")
        .isEqualTo(AuthFailure.REPLAYED);
    ClusterEnvelope newer =
        new ClusterEnvelope("prod", NodeId.of("server2"), 1_800_000_000_000L, new Leave());
    assertThat(open(receiver, sender.seal(ClusterCodec.encode(newer), 0)))
        .as("a new life starts a new window")
        .hasSize(1);
    assertThat(refusal(receiver, sender.seal(plain, 2_001))).isEqualTo(AuthFailure.REPLAYED);
  }

  @Test
  void theReplayStateTracksABoundedNumberOfSenders() throws Exception {
    FrameAuthenticator sender = new FrameAuthenticator(KEY);
    FrameAuthenticator receiver = new FrameAuthenticator(KEY, 8);
    for (int i = 0; i < 100; i++) {
      ClusterEnvelope e = new ClusterEnvelope("prod", NodeId.of("s" + i), 1, new Leave());
      open(receiver, sender.seal(ClusterCodec.encode(e)));
    }

    assertThat(receiver.trackedSenders()).isEqualTo(8);
  }

  @Test
  void aReceiverKeepsABoundedNumberOfFrameKeys() throws Exception {
    FrameAuthenticator receiver = new FrameAuthenticator(KEY, 8);
    byte[] plain = ClusterCodec.encode(HEARTBEAT);
    for (int life = 0; life < 100; life++) { // a new transport each time: a new sealer, a new key
      assertThat(open(receiver, new FrameAuthenticator(KEY, 8, life).seal(plain, life)))
          .hasSize(1);
    }
    assertThat(receiver.cachedFrameKeys()).isEqualTo(8);
    FrameKeys.Cache cache = new FrameKeys.Cache(8);
    FrameKeys keys = new FrameKeys(KEY);
    for (int i = 0; i < 100; i++) {
      byte[] context = {(byte) i};
      cache.put(0, context, 0, 1, keys.frameKey(0, context, 0, 1));
    }
    assertThat(cache.size()).isEqualTo(8);
    assertThat(cache.get(0, new byte[] {99}, 0, 1)).isNotNull();
    assertThat(cache.get(0, new byte[] {0}, 0, 1))
        .as("the eldest was forgotten")
        .isNull();
    assertThat(cache.get(1, new byte[] {99}, 0, 1)).as("another key slot").isNull();
  }

  @Test
  void duringRotationBothKeysAreAcceptedAndTheFirstSigns() throws Exception {
    byte[] oldKey = filled(1);
    byte[] newKey = filled(2);
    FrameAuthenticator onOldKey = new FrameAuthenticator(ClusterKey.of(oldKey));
    FrameAuthenticator rotating = new FrameAuthenticator(ClusterKey.of(oldKey, newKey));
    FrameAuthenticator onNewKey = new FrameAuthenticator(ClusterKey.of(newKey, oldKey));
    FrameAuthenticator newKeyOnly = new FrameAuthenticator(ClusterKey.of(newKey));
    byte[] plain = ClusterCodec.encode(HEARTBEAT);

    assertThat(open(new FrameAuthenticator(ClusterKey.of(oldKey, newKey)), onNewKey.seal(plain)))
        .hasSize(1);
    assertThat(open(new FrameAuthenticator(ClusterKey.of(newKey, oldKey)), onOldKey.seal(plain)))
        .hasSize(1);
    assertThat(open(onOldKey, rotating.seal(plain)))
        .as("signs with the first key")
        .hasSize(1);
    assertThat(refusal(newKeyOnly, onOldKey.seal(plain))).isEqualTo(AuthFailure.BAD_MAC);
    // The frame names its key: the id of the key it was sealed with, whatever its slot.
    assertThat(Arrays.copyOfRange(rotating.seal(plain), 7, 11))
        .isEqualTo(Arrays.copyOfRange(onOldKey.seal(plain), 7, 11))
        .isNotEqualTo(Arrays.copyOfRange(onNewKey.seal(plain), 7, 11));
  }

  @Test
  void keygenOutputParsesAndBadKeyTextIsRefusedClearly() {
    ClusterKey generated = ClusterKey.generate(new SecureRandom());
    String line = generated.signingKeyBase64();
    assertThat(line).hasSize(44).doesNotContain("\n");
    assertThat(ClusterKey.parse(line + "\n", "file k")).isEqualTo(generated);
    ClusterKey two = ClusterKey.parse(
        "\n " + line + " \r\n" + ClusterKey.of(filled(2)).signingKeyBase64() + "\n\n", "file k");
    assertThat(two.acceptedKeys()).hasSize(2);
    assertThat(two.signingKey()).isEqualTo(generated.signingKey());
    assertThat(generated.toString()).doesNotContain(line);

    assertThatThrownBy(() -> ClusterKey.parse("", "file k"))
        .hasMessage("file k holds no key; generate one with `keygen`");
    assertThatThrownBy(() -> ClusterKey.parse("not*base64", "file k"))
        .hasMessageStartingWith("file k, line 1: not base64")
        .hasMessageNotContaining("not*base64");
    assertThatThrownBy(() -> ClusterKey.parse("AAAA", "file k"))
        .hasMessageStartingWith("file k, line 1: a cluster key is 32 bytes, this one is 3");
    assertThatThrownBy(() -> ClusterKey.parse(line + "\n" + line + "\n" + line, "file k"))
        .hasMessageStartingWith("file k holds more than two keys (line 3)");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
