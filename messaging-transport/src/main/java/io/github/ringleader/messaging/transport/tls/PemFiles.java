package io.github.ringleader.messaging.transport.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.TrustManagerFactory;

/**
 * Reads PEM files with the JDK alone: X.509 certificates ({@code BEGIN CERTIFICATE}) and
 * unencrypted private keys in PKCS#8 ({@code BEGIN PRIVATE KEY}, what {@code openssl req -newkey
 * ... -nodes} and {@code openssl genpkey} write), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1
 * ({@code BEGIN EC PRIVATE KEY}, what {@code openssl ecparam -genkey} writes). Every failure is an
 * {@link IOException} whose message names the file and what is wrong with it, never its contents.
 */
public final class PemFiles {
  private static final Pattern BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]*)-----END \\1-----");

  /** rsaEncryption, 1.2.840.113549.1.1.1, as DER. */
  private static final byte[] RSA_OID = {
    0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01
  };

  /** id-ecPublicKey, 1.2.840.10045.2.1, as DER. */
  private static final byte[] EC_OID = {
    0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01
  };

  private PemFiles() {}

  /** The only TLS version the client port and the client SDK speak. */
  public static final String TLS_PROTOCOL = "TLSv1.3";

  /** Trust in the certificates of {@code pemFile} (a CA, or the peer's own certificate). */
  public static TrustManagerFactory trustFactory(Path pemFile) throws IOException {
    List<X509Certificate> trusted = PemFiles.certificates(pemFile);
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < trusted.size(); i++) {
        store.setCertificateEntry("trusted-" + i, trusted.get(i));
      }
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory;
    } catch (GeneralSecurityException e) {
      throw new IOException(pemFile + ": cannot trust these certificates: " + e.getMessage(), e);
    }
  }
  /** The certificates of {@code file}, in order: the server's own first, then its chain. */
  public static List<X509Certificate> certificates(Path file) throws IOException {
    String text = read(file);
    List<X509Certificate> certificates = new ArrayList<>();
    CertificateFactory factory;
    try {
      factory = CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("this JDK has no X.509 support", e);
    }
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      if (!m.group(1).equals("CERTIFICATE")) {
        continue; // a key or parameters in the same file: not ours to read here
      }
      byte[] der = base64(file, m.group(1), m.group(2));
      try {
        certificates.add(
            (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
      } catch (CertificateException e) {
        throw new IOException(
            file + ": certificate " + (certificates.size() + 1) + " is not valid X.509: "
                + e.getMessage(),
            e);
      }
    }
    if (certificates.isEmpty()) {
      throw new IOException(file + ": no \"-----BEGIN CERTIFICATE-----\" block (is it PEM?)");
    }
    return certificates;
  }

  /** The one private key of {@code file}, unencrypted, RSA or EC (or any PKCS#8 the JDK reads). */
  public static PrivateKey privateKey(Path file) throws IOException {
    String text = read(file);
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String type = m.group(1);
      switch (type) {
        case "PRIVATE KEY":
          return pkcs8(file, base64(file, type, m.group(2)));
        case "RSA PRIVATE KEY":
          return pkcs8(
              file, wrap(RSA_OID, new byte[] {0x05, 0x00}, base64(file, type, m.group(2))));
        case "EC PRIVATE KEY":
          byte[] sec1 = base64(file, type, m.group(2));
          return pkcs8(file, wrap(EC_OID, curveOf(file, sec1), sec1));
        case "ENCRYPTED PRIVATE KEY":
          throw new IOException(
              file + ": the private key is encrypted; write it unencrypted (openssl ... -nodes, or"
                  + " openssl pkcs8 -topk8 -nocrypt) and protect the file with its permissions");
        default:
        // a certificate or parameters in the same file: look on
      }
    }
    if (text.contains("Proc-Type: 4,ENCRYPTED")) {
      throw new IOException(file + ": the private key is encrypted; write it unencrypted (-nodes)");
    }
    throw new IOException(
        file + ": no \"-----BEGIN PRIVATE KEY-----\" (or RSA/EC PRIVATE KEY) block (is it PEM?)");
  }

  /**
   * Whether {@code key} is the private half of {@code certificate}'s public key: it signs a random
   * challenge and the certificate's key checks the signature.
   */
  public static boolean matches(PrivateKey key, X509Certificate certificate) {
    PublicKey publicKey = certificate.getPublicKey();
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "RSASSA-PSS" -> "RSASSA-PSS";
      default -> key.getAlgorithm(); // Ed25519, Ed448, EdDSA sign under their own names
    };
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      if (algorithm.equals("RSASSA-PSS")) {
        signer.setParameter(new java.security.spec.PSSParameterSpec(
            "SHA-256", "MGF1", java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
      }
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      if (algorithm.equals("RSASSA-PSS")) {
        verifier.setParameter(new java.security.spec.PSSParameterSpec(
            "SHA-256", "MGF1", java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
      }
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static String read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + ": no such file");
    }
    try {
      return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IOException(file + ": cannot read it: " + e.getMessage(), e);
    }
  }

  private static byte[] base64(Path file, String type, String body) throws IOException {
    try {
      return Base64.getMimeDecoder().decode(body.trim());
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": the " + type + " block is not valid base64", e);
    }
  }

  private static PrivateKey pkcs8(Path file, byte[] der) throws IOException {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (InvalidKeySpecException | java.security.NoSuchAlgorithmException e) {
        // not this algorithm: try the next
      }
    }
    throw new IOException(file + ": the private key is neither RSA nor EC (nor EdDSA), or damaged");
  }

  /**
   * The named-curve parameters of a SEC1 key ({@code ECPrivateKey ::= SEQUENCE { version, key
   * OCTET STRING, [0] parameters, [1] publicKey }}): the element inside the {@code [0]}.
   */
  private static byte[] curveOf(Path file, byte[] sec1) throws IOException {
    try {
      Der outer = new Der(sec1, 0);
      int at = outer.contentStart;
      while (at < outer.end) {
        Der element = new Der(sec1, at);
        if ((sec1[at] & 0xff) == 0xa0) {
          return java.util.Arrays.copyOfRange(sec1, element.contentStart, element.end);
        }
        at = element.end;
      }
    } catch (IndexOutOfBoundsException e) {
      // fall through: damaged
    }
    throw new IOException(
        file + ": the EC PRIVATE KEY names no curve; write it as PKCS#8 (openssl pkcs8 -topk8"
            + " -nocrypt)");
  }

  /** {@code PrivateKeyInfo ::= SEQUENCE { 0, SEQUENCE { oid, params }, OCTET STRING key }}. */
  private static byte[] wrap(byte[] oid, byte[] parameters, byte[] key) {
    byte[] version = {0x02, 0x01, 0x00};
    byte[] algorithm = tlv(0x30, concat(oid, parameters));
    return tlv(0x30, concat(version, algorithm, tlv(0x04, key)));
  }

  private static byte[] tlv(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
    out.write(tag);
    int n = content.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n < 0x100) {
      out.write(0x81);
      out.write(n);
    } else if (n < 0x10000) {
      out.write(0x82);
      out.write(n >>> 8);
      out.write(n);
    } else {
      out.write(0x83);
      out.write(n >>> 16);
      out.write(n >>> 8);
      out.write(n);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  /** One DER element's bounds: where its content starts and where it ends. */
  private static final class Der {
    final int contentStart;
    final int end;

    Der(byte[] data, int at) {
      int lengthByte = data[at + 1] & 0xff;
      int length;
      int start;
      if (lengthByte < 0x80) {
        length = lengthByte;
        start = at + 2;
      } else {
        int count = lengthByte & 0x7f;
        if (count < 1 || count > 3) {
          throw new IndexOutOfBoundsException("length of " + count + " bytes");
        }
        length = 0;
        for (int i = 0; i < count; i++) {
          length = (length << 8) | (data[at + 2 + i] & 0xff);
        }
        start = at + 2 + count;
      }
      if (start + length > data.length) {
        throw new IndexOutOfBoundsException("element runs past the end");
      }
      this.contentStart = start;
      this.end = start + length;
    }
  }
}
