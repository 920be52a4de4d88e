package io.github.ringleader.messaging.transport.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.ringleader.messaging.transport.tcp.TestCertificates;
import io.github.ringleader.messaging.transport.tcp.TestCertificates.Pair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM certificates and keys in the forms openssl writes them, the errors for bad files, and the expiry warning. */
class PemFilesTest {
  @TempDir
  Path dir;

  @Test
  void readsTheRsaAndEcKeysOfOpensslReqAsPkcs8() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    for (String type : List.of("rsa:2048", "ec")) {
      Pair pair = certs.selfSigned(type.replace(':', '-'), "localhost", type, 30);
      assertThat(Files.readString(pair.key())).contains("-----BEGIN PRIVATE KEY-----");

      PrivateKey key = PemFiles.privateKey(pair.key());
      X509Certificate certificate = PemFiles.certificates(pair.certificate()).get(0);

      assertThat(key.getAlgorithm()).isEqualTo(type.startsWith("rsa") ? "RSA" : "EC");
      assertThat(PemFiles.matches(key, certificate)).isTrue();
      assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
    }
  }

  @Test
  void readsTraditionalRsaAndSec1EcKeys() throws Exception {
    Path rsa = dir.resolve("rsa.key");
    TestCertificates.openssl("genrsa", "-traditional", "-out", rsa.toString(), "2048");
    assertThat(Files.readString(rsa)).contains("-----BEGIN RSA PRIVATE KEY-----");
    Path ec = dir.resolve("ec.key");
    TestCertificates.openssl(
        "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ec.toString());
    assertThat(Files.readString(ec)).contains("-----BEGIN EC PRIVATE KEY-----");

    assertThat(PemFiles.privateKey(rsa).getAlgorithm()).isEqualTo("RSA");
    assertThat(PemFiles.privateKey(ec).getAlgorithm()).isEqualTo("EC");

    // And they match certificates made from them.
    Path ecCert = dir.resolve("ec.pem");
    TestCertificates.openssl(
        "req",
        "-x509",
        "-key",
        ec.toString(),
        "-out",
        ecCert.toString(),
        "-days",
        "1",
        "-subj",
        "/CN=ec");
    assertThat(PemFiles.matches(
            PemFiles.privateKey(ec), PemFiles.certificates(ecCert).get(0)))
        .isTrue();
  }

  @Test
  void aChainFileYieldsEveryCertificateInOrder() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    Pair ca = certs.ca("ca");
    Pair leaf = certs.signed("leaf", "localhost", ca, "ec");
    Path chain = dir.resolve("chain.pem");
    Files.writeString(
        chain, Files.readString(leaf.certificate()) + Files.readString(ca.certificate()));

    List<X509Certificate> read = PemFiles.certificates(chain);

    assertThat(read)
        .extracting(c -> c.getSubjectX500Principal().getName())
        .containsExactly("CN=localhost", "CN=ca");
  }

  @Test
  void aKeyOfAnotherCertificateDoesNotMatch() throws Exception {
    TestCertificates certs = new TestCertificates(dir);
    Pair one = certs.selfSigned("one", "one", "ec", 1);
    Pair two = certs.selfSigned("two", "two", "ec", 1);
    Pair rsa = certs.selfSigned("three", "three", "rsa:2048", 1);
    X509Certificate first = PemFiles.certificates(one.certificate()).get(0);

    assertThat(PemFiles.matches(PemFiles.privateKey(two.key()), first)).isFalse();
    assertThat(PemFiles.matches(PemFiles.privateKey(rsa.key()), first)).isFalse();
  }

  @Test
  void badFilesAreNamedWithWhatIsWrong() throws Exception {
    Path missing = dir.resolve("missing.pem");
    assertThatThrownBy(() -> PemFiles.certificates(missing))
        .isInstanceOf(IOException.class)
        .hasMessage(missing + ": no such file");

    Path text = dir.resolve("text.pem");
    Files.writeString(text, "hello\n");
    assertThatThrownBy(() -> PemFiles.certificates(text))
        .hasMessage(text + ": no \"-----BEGIN CERTIFICATE-----\" block (is it PEM?)");
    assertThatThrownBy(() -> PemFiles.privateKey(text))
        .hasMessageContaining(text + ": no \"-----BEGIN PRIVATE KEY-----\"");

    Path garbled = dir.resolve("garbled.pem");
    Files.writeString(garbled, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assertThatThrownBy(() -> PemFiles.certificates(garbled))
        .hasMessageContaining(garbled + ": certificate 1 is not valid X.509");

    Path encrypted = dir.resolve("encrypted.key");
    TestCertificates.openssl(
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-aes-128-cbc",
        "-pass",
        "pass:secret",
        "-out",
        encrypted.toString());
    assertThatThrownBy(() -> PemFiles.privateKey(encrypted))
        .hasMessageContaining(encrypted + ": the private key is encrypted");
  }
}
