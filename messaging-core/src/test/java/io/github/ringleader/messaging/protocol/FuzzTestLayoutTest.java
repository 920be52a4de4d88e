package io.github.ringleader.messaging.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Jazzer fuzzes only the first {@code @FuzzTest} of a JVM and skips the rest, and the build gives
 * each fuzz class a JVM of its own (messaging-core/pom.xml, execution "fuzz"): so a class with
 * two would silently leave one unfuzzed. This keeps it at one per class.
 */
class FuzzTestLayoutTest {
  @Test
  void everyFuzzTestClassHasExactlyOneFuzzTest() throws Exception {
    List<Class<?>> fuzzClasses = fuzzTestClassesInThisPackage();

    assertThat(fuzzClasses)
        .extracting(Class::getSimpleName)
        .contains(
            "ClusterCodecFuzzTest",
            "FrameAuthenticatorFuzzTest",
            "ClientRequestFuzzTest",
            "ClientEventFuzzTest");
    for (Class<?> type : fuzzClasses) {
      long fuzzTests = Arrays.stream(type.getDeclaredMethods())
          .filter(m -> m.isAnnotationPresent(FuzzTest.class))
          .map(Method::getName)
          .count();
      assertThat(fuzzTests).as("@FuzzTest methods in %s", type.getSimpleName()).isEqualTo(1);
    }
  }

  private static List<Class<?>> fuzzTestClassesInThisPackage()
      throws URISyntaxException, java.io.IOException {
    Path dir = Path.of(FuzzTestLayoutTest.class
            .getProtectionDomain()
            .getCodeSource()
            .getLocation()
            .toURI())
        .resolve(FuzzTestLayoutTest.class.getPackageName().replace('.', '/'));
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(name -> name.endsWith("FuzzTest.class"))
          .map(name -> name.substring(0, name.length() - ".class".length()))
          .sorted()
          .<Class<?>>map(FuzzTestLayoutTest::load)
          .toList();
    }
  }

  private static Class<?> load(String simpleName) {
    try {
      return Class.forName(FuzzTestLayoutTest.class.getPackageName() + "." + simpleName);
    } catch (ClassNotFoundException e) {
      throw new AssertionError(e);
    }
  }
}
