package io.github.ringleader.messaging.routing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The rules for client names, and the messages that say which rule a name breaks. */
class ClientNamesTest {

  @ParameterizedTest
  @ValueSource(strings = {"a", "Z", "7", "alice", "Alice_2", "bob.smith", "x-y", "0day", "a.", "a-", "a_"})
  void lettersDigitsDotsUnderscoresAndDashesStartingWithALetterOrDigitAreValid(String name) {
    assertThat(ClientNames.problemWith(name)).isNull();
    assertThat(ClientNames.isValid(name)).isTrue();
  }

  @Test
  void aNameOfExactlyTheLongestLengthIsValid() {
    assertThat(ClientNames.MAX_LENGTH).isEqualTo(32);
    assertThat(ClientNames.isValid("a".repeat(32))).isTrue();
  }

  @Test
  void anEmptyNameIsInvalid() {
    assertThat(ClientNames.problemWith("")).isEqualTo("a name must not be empty");
    assertThat(ClientNames.isValid("")).isFalse();
  }

  @Test
  void aNameLongerThanTheLimitIsInvalidAndTheMessageShowsItShortenedWithItsLength() {
    String name = "b".repeat(40);

    assertThat(ClientNames.problemWith(name))
        .isEqualTo("a name must be at most 32 characters, \"" + "b".repeat(32) + "\u2026\" has 40");
  }

  @ParameterizedTest
  @ValueSource(strings = {".alice", "_alice", "-alice"})
  void aNameMustStartWithALetterOrADigit(String name) {
    assertThat(ClientNames.problemWith(name)).isEqualTo("a name must start with a letter or a digit");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "al ice|' ' at position 3",
        "alice!|'!' at position 6",
        "a/b|'/' at position 2",
        "caf\u00e9|'\u00e9' (U+00E9, not a letter a-z or A-Z) at position 4",
        "\u00e9lodie|'\u00e9' (U+00E9, not a letter a-z or A-Z) at position 1",
        "\u20ac5|'\u20ac' (U+20AC) at position 1",
        "tab\there|U+0009 at position 4"
      })
  void aNameWithAnyOtherCharacterIsInvalidAndTheMessageNamesTheCharacterAndItsPosition(
      String name, String found) {
    assertThat(ClientNames.problemWith(name))
        .isEqualTo("a name may only contain letters, digits, '.', '_' and '-'; found " + found);
  }

  @Test
  void aNonAsciiLetterIsNotALetterForNames() {
    assertThat(ClientNames.isValid("\u00e9mile")).isFalse();
    assertThat(ClientNames.isValid("\u0436")).isFalse();
  }

  @Test
  void namesAreUniqueIgnoringCaseSoTheirKeyIsTheLowerCaseName() {
    assertThat(ClientNames.key("Alice")).isEqualTo("alice");
    assertThat(ClientNames.key("ALICE")).isEqualTo(ClientNames.key("alice"));
    assertThat(ClientNames.key("Bob.Smith-2")).isEqualTo("bob.smith-2");
    assertThat(ClientNames.key("alice")).isNotEqualTo(ClientNames.key("alicia"));
  }

  @Test
  void theKeyDoesNotDependOnTheDefaultLocale() {
    java.util.Locale saved = java.util.Locale.getDefault();
    try {
      java.util.Locale.setDefault(java.util.Locale.forLanguageTag("tr"));
      assertThat(ClientNames.key("IRIS")).isEqualTo("iris");
    } finally {
      java.util.Locale.setDefault(saved);
    }
  }
}
