package io.github.ringleader.messaging.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.github.ringleader.messaging.protocol.IdChars;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NodeIdTest {

  private static final long PROPERTY_SEED = 0x1D5_0DE7L;

  private static NodeId id(String value) {
    return NodeId.of(value);
  }

  // ------------------------------------------------------------------ validation

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "0",
        "server1",
        "Server-01.eu_west",
        "-._",
        "0123456789012345678901234567890123456789012345678901234567890123"
      })
  void idsOfLettersDigitsDotsUnderscoresAndHyphensAreValid(String value) {
    assertThat(NodeId.problemWith(value)).isNull();
    assertThat(NodeId.isValid(value)).isTrue();
    assertThat(NodeId.of(value).value()).isEqualTo(value);
  }

  @Test
  void emptyIdIsRejected() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> NodeId.of(""))
        .withMessage("node id must not be empty");
  }

  @Test
  void idOfSixtyFiveCharactersIsRejectedNamingItsLength() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> NodeId.of("s".repeat(65)))
        .withMessage("node id must be at most 64 characters, was 65");
  }

  @Test
  void idWithASpaceIsRejectedNamingTheSpaceAndWhereItIs() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> NodeId.of("server 1"))
        .withMessage("node id may only contain " + IdChars.ALLOWED + "; found ' ' at position 7 in"
            + " \"server 1\"");
  }

  @Test
  void idWithASlashIsRejectedNamingTheSlash() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> NodeId.of("rack/1"))
        .withMessageEndingWith("found '/' at position 5 in \"rack/1\"");
  }

  @Test
  void idWithANonAsciiLetterIsRejectedNamingItsCodePoint() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> NodeId.of("nœud1"))
        .withMessageContaining("found 'œ' (U+0153) at position 2 in \"nœud1\"");
  }

  @Test
  void idWithAControlCharacterIsRejectedNamingItsCodePoint() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> NodeId.of("abc\0"))
        .withMessageContaining("found U+0000 at position 4 in \"abc\\u0000\"");
  }

  @Test
  void isValidAgreesWithProblemWithOnRandomStrings() {
    Random random = new Random(PROPERTY_SEED);
    String alphabet = "aZ09._- /é\0";
    for (int i = 0; i < 5_000; i++) {
      StringBuilder value = new StringBuilder();
      for (int n = random.nextInt(70); n > 0; n--) {
        value.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String text = value.toString();
      assertThat(NodeId.isValid(text))
          .as("\"%s\"", text)
          .isEqualTo(NodeId.problemWith(text) == null);
    }
  }

  @Test
  void idsWithTheSameTextAreEqualWithEqualHashCodes() {
    assertThat(id("server1")).isEqualTo(id("server1")).hasSameHashCodeAs(id("server1"));
    assertThat(id("server1")).isNotEqualTo(id("Server1")).isNotEqualTo(id("server01"));
  }

  // ------------------------------------------------------------------ ordering

  @Test
  void numbersInIdsCompareByValueNotByText() {
    List<NodeId> ascending =
        List.of(id("server1"), id("server2"), id("server9"), id("server10"), id("server100"));

    assertThat(ascending).isSortedAccordingTo(NodeId::compareTo);
    assertThat(id("server10")).isGreaterThan(id("server9"));
  }

  @Test
  void numberAfterAHyphenComparesByValue() {
    assertThat(id("a-2")).isLessThan(id("a-10"));
  }

  @Test
  void everyDigitRunInAnIdComparesByValue() {
    assertThat(id("rack2-node10")).isLessThan(id("rack10-node2"));
    assertThat(id("rack10-node2")).isLessThan(id("rack10-node10"));
  }

  @Test
  void digitsSortBeforeLettersAtTheSamePosition() {
    assertThat(id("1")).isLessThan(id("a"));
    assertThat(id("server9")).isLessThan(id("serverA"));
    assertThat(id("server100")).isLessThan(id("servera"));
  }

  @Test
  void lettersCompareByCharacterCodeSoUppercaseSortsFirst() {
    assertThat(id("Server1")).isLessThan(id("server1"));
    assertThat(id("alpha")).isLessThan(id("beta"));
  }

  @Test
  void shorterIdThatIsAPrefixSortsFirst() {
    assertThat(id("server")).isLessThan(id("server1"));
    assertThat(id("server1")).isLessThan(id("server1a"));
  }

  @Test
  void leadingZerosMakeDistinctIdsOrderedByTheirText() {
    NodeId three = id("server001");
    NodeId two = id("server01");
    NodeId one = id("server1");

    assertThat(List.of(three, two, one, id("server2"))).isSortedAccordingTo(NodeId::compareTo);
    assertThat(two.compareTo(one)).isNegative();
    assertThat(one.compareTo(two)).isPositive();
    assertThat(two).isNotEqualTo(one);
    // The value decides before the zeros do: 010 is ten, above nine.
    assertThat(id("server010")).isGreaterThan(id("server9"));
  }

  @Test
  void digitRunsOfAnyLengthCompareWithoutOverflow() {
    String fortyNines = "9".repeat(40);
    String tenToTheForty = "1" + "0".repeat(40);

    assertThat(id("n" + fortyNines)).isLessThan(id("n" + tenToTheForty));
    assertThat(id("n" + "9".repeat(39) + "8")).isLessThan(id("n" + fortyNines));
    assertThat(id("n" + fortyNines)).isGreaterThan(id("n" + Long.MAX_VALUE));
    assertThat(id("n" + "0".repeat(50) + "7")).isLessThan(id("n8"));
    assertThat(id(fortyNines + "a")).isLessThan(id(fortyNines + "b"));
  }

  @Test
  void sortingAShuffledRangeOfServersGivesNumericOrder() {
    List<NodeId> expected =
        IntStream.rangeClosed(1, 64).mapToObj(i -> id("server" + i)).toList();
    List<NodeId> shuffled = new ArrayList<>(expected);
    Collections.shuffle(shuffled, new Random(PROPERTY_SEED));

    Collections.sort(shuffled);

    assertThat(shuffled).containsExactlyElementsOf(expected);
  }

  /**
   * Ids built from a few pieces that collide often: numbers equal in value but not in text (1, 01,
   * 001), digit runs that join across pieces (1 then 0 makes 10), long runs, and each kind of
   * non-digit character.
   */
  private static List<NodeId> randomIds(Random random, int count) {
    String[] pieces = {
      "0",
      "1",
      "01",
      "001",
      "2",
      "9",
      "10",
      "99",
      "12345678901234567890",
      "a",
      "b",
      "A",
      "z",
      "-",
      ".",
      "_",
      "server"
    };
    List<NodeId> ids = new ArrayList<>();
    while (ids.size() < count) {
      StringBuilder value = new StringBuilder();
      for (int n = 1 + random.nextInt(4); n > 0; n--) {
        value.append(pieces[random.nextInt(pieces.length)]);
      }
      if (value.length() <= NodeId.MAX_LENGTH) {
        ids.add(id(value.toString()));
      }
    }
    return ids;
  }

  @Test
  void compareToIsAntisymmetricTransitiveAndConsistentWithEquals() {
    List<NodeId> ids = randomIds(new Random(PROPERTY_SEED), 150);
    List<String> violations = new ArrayList<>();
    int tiesBrokenByText = 0;

    for (NodeId a : ids) {
      for (NodeId b : ids) {
        int ab = a.compareTo(b);
        if (ab != 0 && NodeId.compareNumericAware(a.value(), b.value()) == 0) {
          tiesBrokenByText++;
        }
        if (Integer.signum(ab) != -Integer.signum(b.compareTo(a))) {
          violations.add("not antisymmetric: " + a + " vs " + b);
        }
        if ((ab == 0) != a.equals(b)) {
          violations.add("compareTo is 0 but not equal, or equal but not 0: " + a + " vs " + b);
        }
        if (ab > 0) {
          continue;
        }
        for (NodeId c : ids) {
          if (b.compareTo(c) <= 0 && a.compareTo(c) > 0) {
            violations.add("not transitive: " + a + " <= " + b + " <= " + c + ", " + a + " > " + c);
          }
        }
      }
    }

    assertThat(violations).isEmpty();
    // The sample reaches the tie-break: ids equal in every run's value but not in text.
    assertThat(tiesBrokenByText).isPositive();
  }

  @Test
  void sortedRandomIdsAreInOrderPairwise() {
    List<NodeId> ids = randomIds(new Random(PROPERTY_SEED + 1), 300);
    Collections.sort(ids);
    List<String> outOfOrder = new ArrayList<>();

    for (int i = 0; i < ids.size(); i++) {
      for (int j = i + 1; j < ids.size(); j++) {
        if (ids.get(i).compareTo(ids.get(j)) > 0) {
          outOfOrder.add(ids.get(i) + " sorted before " + ids.get(j));
        }
      }
    }

    assertThat(outOfOrder).isEmpty();
  }
}
