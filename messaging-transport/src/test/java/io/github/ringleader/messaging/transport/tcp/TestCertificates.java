package io.github.ringleader.messaging.transport.tcp;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes certificates for the TLS tests with the {@code openssl} command line (at test time, into
 * a temporary directory), as an operator would following docs/security.md. Without openssl the
 * tests fail with a message saying so; they do not skip.
 */
public final class TestCertificates {
  public static final String OPENSSL = "openssl";

  private final Path dir;

  public TestCertificates(Path dir) {
    this.dir = dir;
  }

  /** A key and certificate pair in PEM files. */
  public record Pair(Path certificate, Path key) {}

  /** A CA: its certificate (what clients trust) and its key (what signs). */
  public Pair ca(String name) throws IOException {
    Pair ca = new Pair(dir.resolve(name + ".pem"), dir.resolve(name + ".key"));
    openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        ca.key().toString(),
        "-out",
        ca.certificate().toString(),
        "-days",
        "30",
        "-subj",
        "/CN=" + name,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign");
    return ca;
  }

  /**
   * A certificate for {@code cn} signed by {@code ca}, naming 127.0.0.1 and localhost as subject
   * alternative names; {@code keyType} is {@code rsa:2048} or {@code ec}.
   */
  public Pair signed(String name, String cn, Pair ca, String keyType) throws IOException {
    Pair pair = new Pair(dir.resolve(name + ".pem"), dir.resolve(name + ".key"));
    Path csr = dir.resolve(name + ".csr");
    Path ext = dir.resolve(name + ".ext");
    Files.writeString(
        ext,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n" + "extendedKeyUsage=serverAuth,clientAuth\n",
        StandardCharsets.US_ASCII);
    List<String> request = new ArrayList<>(List.of("req", "-newkey", keyType));
    if (keyType.equals("ec")) {
      request.addAll(List.of("-pkeyopt", "ec_paramgen_curve:P-256"));
    }
    request.addAll(List.of(
        "-nodes", "-keyout", pair.key().toString(), "-out", csr.toString(), "-subj", "/CN=" + cn));
    openssl(request.toArray(new String[0]));
    openssl(
        "x509",
        "-req",
        "-in",
        csr.toString(),
        "-CA",
        ca.certificate().toString(),
        "-CAkey",
        ca.key().toString(),
        "-CAcreateserial",
        "-out",
        pair.certificate().toString(),
        "-days",
        "30",
        "-extfile",
        ext.toString());
    return pair;
  }

  /** A self-signed certificate for {@code cn} with 127.0.0.1 and localhost as its names. */
  public Pair selfSigned(String name, String cn, String keyType, int days) throws IOException {
    Pair pair = new Pair(dir.resolve(name + ".pem"), dir.resolve(name + ".key"));
    List<String> args = new ArrayList<>(List.of("req", "-x509", "-newkey", keyType));
    if (keyType.equals("ec")) {
      args.addAll(List.of("-pkeyopt", "ec_paramgen_curve:P-256"));
    }
    args.addAll(List.of(
        "-nodes",
        "-keyout",
        pair.key().toString(),
        "-out",
        pair.certificate().toString(),
        "-days",
        Integer.toString(days),
        "-subj",
        "/CN=" + cn,
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost"));
    openssl(args.toArray(new String[0]));
    return pair;
  }

  /** Runs openssl with {@code args}; fails with its output if it does not succeed in 30 s. */
  public static String openssl(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(OPENSSL);
    command.addAll(List.of(args));
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError(
          "these TLS tests make their certificates with the openssl command, which could not be"
              + " run (" + e.getMessage() + "): install openssl (e.g. apt-get install openssl)",
          e);
    }
    process.getOutputStream().close();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("openssl did not finish within 30 s: " + command);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted waiting for openssl", e);
    }
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new AssertionError(
          "openssl failed (" + process.exitValue() + "): " + command + "\n" + output);
    }
    return output;
  }
}
