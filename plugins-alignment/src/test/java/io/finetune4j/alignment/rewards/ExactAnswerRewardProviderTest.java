package io.finetune4j.alignment.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.RewardFunctionProviderContract;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.reward.RewardFunction;
import io.finetune4j.api.reward.RewardFunctionProvider;
import io.finetune4j.api.reward.RewardInput;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExactAnswerRewardProviderTest implements RewardFunctionProviderContract<ExactAnswerConfig> {
    @Override
    public RewardFunctionProvider<ExactAnswerConfig> provider() {
        return new ExactAnswerRewardProvider();
    }

    private static RewardInput input(String completion, String reference) {
        return new RewardInput("2+3=", completion, new long[] {1}, new long[] {2}, reference,
                new Source("math.jsonl", 4));
    }

    private static double[] score(String mode, RewardInput... inputs) {
        try (RewardFunction function = new ExactAnswerRewardProvider().create(new ExactAnswerConfig(mode), null)) {
            return function.score(List.of(inputs));
        }
    }

    @Test
    void numbersCompareByValueTheLastNumberOfTheFirstLine() {
        assertThat(score("auto",
                input(" 5", "5"),
                input(" 9 minus 4 is 5.0.\nQ: What is 2 plus 2?", " 9 minus 4 is 5."),
                input("+5 apples", " 5\n"),
                input("1,000", "1000"),
                input("5 or 6", "5"),
                input("five", "5"),
                input("-5", "5")))
                .containsExactly(1, 1, 1, 1, 0, 0, 0);
    }

    @Test
    void linesCompareTheFirstNonBlankLineNormalised() {
        assertThat(score("auto",
                input("\n  Paris.  \nextra", "paris"),
                input("The   Blue sky!", "the blue sky"),
                input("Lyon", "Paris")))
                .containsExactly(1, 1, 0);
    }

    @Test
    void lineModeComparesNumbersAsText() {
        assertThat(score("line", input("5.0", "5"), input("5", "5"))).containsExactly(0, 1);
    }

    @Test
    void numberModeNeedsANumberInBoth() {
        assertThat(score("number", input("paris", "paris"), input("x=3", "3"))).containsExactly(0, 1);
    }

    @Test
    void aRowWithoutReferenceIsAConfigErrorNamingIt() {
        assertThatThrownBy(() -> score("auto", input("5", "")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("math.jsonl:4: exact-answer compares with the row's reference answer; use "
                        + "{\"prompt\", \"completion\"} rows whose completion is the answer");
    }

    @Test
    void rejectsAnUnknownMode() {
        ConfigProblems problems = ConfigProblems.at("stages[2].reward");

        provider().validate(new ExactAnswerConfig("fuzzy"), problems);

        assertThat(problems.messages()).containsExactly(
                "stages[2].reward.mode: must be one of [auto, number, line], was 'fuzzy'");
    }
}
