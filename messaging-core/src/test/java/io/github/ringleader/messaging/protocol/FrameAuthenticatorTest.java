package io.github.ringleader.messaging.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameAuthenticatorTest {
  private static final ClusterKey KEY = ClusterKey.of(filled(1));
  private static final ClusterKey OTHER = ClusterKey.of(filled(2));
  private static final ClusterEnvelope HEARTBEAT =
      new ClusterEnvelope(
          "prod", NodeId.of("server2"), 1_700_000_000_000L,
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

  @Test
  void aSealedFrameOpensToTheSameEnvelopeAndCarriesTheDocumentedHeader() throws Exception {
    byte[] plain = ClusterCodec.encode(HEARTBEAT);
    byte[] sealed = new FrameAuthenticator(KEY).seal(plain);

    assertThat(sealed.length).isEqualTo(plain.length + 31);
    assertThat(Arrays.copyOfRange(sealed, 0, 15))
        .containsExactly(0, 0, 0, 105, 0x52, 0x41, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    assertThat(Arrays.copyOfRange(sealed, 15, 15 + plain.length)).isEqualTo(plain);
    assertThat(open(new FrameAuthenticator(KEY), sealed)).containsExactly(HEARTBEAT);
  }

  /** The worked example of docs/wire-protocol.md, "Authenticated frames". */
  @Test
  void theDocumentedExampleEncodesToTheBytesTheSpecDescribes() throws Exception {
    byte[] sealed = new FrameAuthenticator(KEY).seal(ClusterCodec.encode(HEARTBEAT), 5);

    assertThat(java.util.HexFormat.ofDelimiter(" ").formatHex(sealed))
        .isEqualTo(
            "00 00 00 69 52 41 01 00 00 00 00 00 00 00 05 "
                + java.util.HexFormat.ofDelimiter(" ").formatHex(ClusterCodec.encode(HEARTBEAT))
                + " 46 7a 7e f0 ff fd de 21 90 1a 49 4c 5c 10 8c ad");
    assertThat(ClusterKey.of(filled(1)).signingKeyBase64())
        .isEqualTo("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=");
  }

  @Test
  void theMacIsTruncatedHmacSha256OverEverythingBeforeIt() throws Exception {
    byte[] sealed = new FrameAuthenticator(KEY).seal(ClusterCodec.encode(HEARTBEAT));
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec(filled(1), "HmacSHA256"));
    mac.update(sealed, 0, sealed.length - 16);

    assertThat(Arrays.copyOfRange(sealed, sealed.length - 16, sealed.length))
        .isEqualTo(Arrays.copyOf(mac.doFinal(), 16));
  }

  @Test
  void everyTamperedByteAfterTheOuterHeaderIsRefusedAsBadMac() {
    byte[] sealed = new FrameAuthenticator(KEY).seal(ClusterCodec.encode(HEARTBEAT));
    FrameAuthenticator receiver = new FrameAuthenticator(KEY);
    // From the frame sequence number on: the sequence, the inner frame's length, magic, version,
    // type, cluster, sender, incarnation, body, and the MAC itself.
    for (int at = 7; at < sealed.length; at++) {
      byte[] tampered = sealed.clone();
      tampered[at] ^= 0x01;
      assertThat(refusal(receiver, tampered)).as("byte %d flipped", at).isEqualTo(AuthFailure.BAD_MAC);
    }
  }

  @Test
  void aFrameSignedWithAnotherKeyIsRefusedAsBadMac() {
    byte[] forged = new FrameAuthenticator(OTHER).seal(ClusterCodec.encode(HEARTBEAT));

    assertThat(refusal(new FrameAuthenticator(KEY), forged)).isEqualTo(AuthFailure.BAD_MAC);
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
    ClusterEnvelope leave = new ClusterEnvelope("prod", NodeId.of("server2"), 1_700_000_000_000L, new Leave());
    byte[] datagram =
        concat(sender.seal(ClusterCodec.encode(HEARTBEAT)), sender.seal(ClusterCodec.encode(leave)));

    assertThat(open(new FrameAuthenticator(KEY), datagram)).containsExactly(HEARTBEAT, leave);
  }

  @Test
  void reorderedFramesInsideTheWindowCountButOlderOnesAndOlderIncarnationsDoNot() throws Exception {
    FrameAuthenticator sender = new FrameAuthenticator(KEY);
    FrameAuthenticator receiver = new FrameAuthenticator(KEY);
    byte[] plain = ClusterCodec.encode(HEARTBEAT);

    assertThat(open(receiver, sender.seal(plain, 2_000))).hasSize(1);
    assertThat(open(receiver, sender.seal(plain, 1_500))).as("late, inside the window").hasSize(1);
    assertThat(refusal(receiver, sender.seal(plain, 2_000 - ReplayWindow.WINDOW)))
        .as("below the window").isEqualTo(AuthFailure.REPLAYED);

    ClusterEnvelope older =
        new ClusterEnvelope("prod", NodeId.of("server2"), 1_600_000_000_000L, new Leave());
    assertThat(refusal(receiver, sender.seal(ClusterCodec.encode(older), 5_000)))
        .as("an older life").isEqualTo(AuthFailure.REPLAYED);
    ClusterEnvelope newer =
        new ClusterEnvelope("prod", NodeId.of("server2"), 1_800_000_000_000L, new Leave());
    assertThat(open(receiver, sender.seal(ClusterCodec.encode(newer), 0)))
        .as("a new life starts a new window").hasSize(1);
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
  void duringRotationBothKeysAreAcceptedAndTheFirstSigns() throws Exception {
    byte[] oldKey = filled(1);
    byte[] newKey = filled(2);
    FrameAuthenticator onOldKey = new FrameAuthenticator(ClusterKey.of(oldKey));
    FrameAuthenticator rotating = new FrameAuthenticator(ClusterKey.of(oldKey, newKey));
    FrameAuthenticator onNewKey = new FrameAuthenticator(ClusterKey.of(newKey, oldKey));
    FrameAuthenticator newKeyOnly = new FrameAuthenticator(ClusterKey.of(newKey));
    byte[] plain = ClusterCodec.encode(HEARTBEAT);

    assertThat(open(new FrameAuthenticator(ClusterKey.of(oldKey, newKey)), onNewKey.seal(plain))).hasSize(1);
    assertThat(open(new FrameAuthenticator(ClusterKey.of(newKey, oldKey)), onOldKey.seal(plain))).hasSize(1);
    assertThat(open(onOldKey, rotating.seal(plain))).as("signs with the first key").hasSize(1);
    assertThat(refusal(newKeyOnly, onOldKey.seal(plain))).isEqualTo(AuthFailure.BAD_MAC);
  }

  @Test
  void keygenOutputParsesAndBadKeyTextIsRefusedClearly() {
    ClusterKey generated = ClusterKey.generate(new SecureRandom());
    String line = generated.signingKeyBase64();
    assertThat(line).hasSize(44).doesNotContain("\n");
    assertThat(ClusterKey.parse(line + "\n", "file k")).isEqualTo(generated);
    ClusterKey two = ClusterKey.parse("\n " + line + " \r\n" + ClusterKey.of(filled(2)).signingKeyBase64() + "\n\n", "file k");
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
