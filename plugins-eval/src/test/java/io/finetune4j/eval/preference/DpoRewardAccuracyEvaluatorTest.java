package io.finetune4j.eval.preference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.finetune4j.api.ConfigException;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.generate.TokenScorer;
import io.finetune4j.runtime.model.ModelLoader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DpoRewardAccuracyEvaluatorTest {
    private static final double BETA = 0.1;
    private static final Dataset PAIRS = new Dataset("prefs.jsonl", List.of(
            new Example.Preference("2+2=", "4", "five", new Source("prefs.jsonl", 1)),
            new Example.Preference("Capital of France? ", "Paris", "Lyon", new Source("prefs.jsonl", 2)),
            new Example.Preference("Grüß dich, 世界! ", "こんにちは ✓", "", new Source("prefs.jsonl", 3)),
            new Example.Preference("say hi: ", "hi there", "no", new Source("prefs.jsonl", 4))));

    @TempDir
    Path dir;
    private PreferenceFixtures fixtures;
    private CausalLM policy;

    @BeforeEach
    void setUp() {
        fixtures = new PreferenceFixtures(dir);
        policy = fixtures.model(3);
    }

    @AfterEach
    void tearDown() {
        policy.close();
        fixtures.close();
    }

    private List<Metric> evaluate(String reference, int batchSize) {
        return new DpoRewardAccuracyEvaluatorProvider().create(new DpoRewardAccuracyConfig(BETA, reference, batchSize))
                .evaluate(new PreferenceFixtures.Context(policy, PAIRS, 64, 0, new PreferenceFixtures.Progress(), dir));
    }

    /** Σ log p(completion + EOS | prompt) from TokenScorer over the unpadded sequence, in double. */
    private double completionLogProb(CausalLM model, String prompt, String completion) {
        int promptLength = fixtures.tokenizer().encode(prompt, true).length;
        double[] logProbs = TokenScorer.logProbs(model, fixtures.sequence(prompt, completion));
        double sum = 0;
        for (int i = Math.max(1, promptLength); i < logProbs.length; i++) {
            sum += logProbs[i];
        }
        return sum;
    }

    @Test
    void implicitRewardsEqualAnIndependentTokenScorerComputation() {
        PreferenceFixtures.withAdapters(policy, 40f);
        int n = PAIRS.size();
        double[] chosen = new double[n];
        double[] rejected = new double[n];
        double[] logpsChosen = new double[n];
        for (int i = 0; i < n; i++) {
            Example.Preference pair = (Example.Preference) PAIRS.examples().get(i);
            double policyChosen = completionLogProb(policy, pair.prompt(), pair.chosen());
            double policyRejected = completionLogProb(policy, pair.prompt(), pair.rejected());
            logpsChosen[i] = policyChosen;
            try (AdapterScope off = policy.disableAdapters()) {
                chosen[i] = BETA * (policyChosen - completionLogProb(policy, pair.prompt(), pair.chosen()));
                rejected[i] = BETA * (policyRejected - completionLogProb(policy, pair.prompt(), pair.rejected()));
            }
        }

        List<Metric> metrics = evaluate("adapters-disabled", 3);

        assertThat(metrics).extracting(Metric::name)
                .containsExactly("rewards/accuracies", "rewards/margins", "rewards/chosen", "rewards/rejected",
                        "logps/chosen", "logps/rejected");
        assertThat(policy.adaptersEnabled()).isTrue();
        double accuracy = 0;
        for (int i = 0; i < n; i++) {
            int[] one = {i};
            assertThat(Math.abs(chosen[i] - rejected[i])).as("no near-ties in this fixture").isGreaterThan(1e-4);
            assertThat(metrics.get(2).valueOn(one)).isCloseTo(chosen[i], within(1e-5));
            assertThat(metrics.get(3).valueOn(one)).isCloseTo(rejected[i], within(1e-5));
            assertThat(metrics.get(1).valueOn(one)).isCloseTo(chosen[i] - rejected[i], within(1e-5));
            assertThat(metrics.get(0).valueOn(one)).isEqualTo(chosen[i] > rejected[i] ? 1.0 : 0.0);
            assertThat(metrics.get(4).valueOn(one)).isCloseTo(logpsChosen[i], within(1e-4));
            accuracy += chosen[i] > rejected[i] ? 1 : 0;
        }
        assertThat(metrics.get(0).value()).isEqualTo(accuracy / n);
        assertThat(accuracy).as("the fixture has wins and losses").isBetween(1.0, n - 1.0);
    }

    @Test
    void aReferenceEqualToThePolicyGivesZeroRewards() {
        ModelLoader.save(policy, dir.resolve("same"));

        List<Metric> metrics = evaluate("same", 4);

        for (Metric metric : metrics.subList(1, 4)) { // rewards/margins, rewards/chosen, rewards/rejected
            for (int i = 0; i < PAIRS.size(); i++) {
                assertThat(metric.valueOn(new int[] {i})).as(metric.name()).isCloseTo(0.0, within(1e-9));
            }
        }
        // TRL compares strictly: tied rewards are not accurate
        assertThat(metrics.get(0).value()).isEqualTo(0.0);
    }

    @Test
    void adaptersDisabledOnAModelWithoutAdaptersAsksForACheckpoint() {
        assertThatThrownBy(() -> evaluate("adapters-disabled", 4))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("dpo-reward-accuracy: reference: 'adapters-disabled' needs a model with adapters")
                .hasMessageContaining("give a checkpoint directory instead");
    }

    @Test
    void aReferenceWithAnotherVocabularyIsAConfigError() {
        try (CausalLM other = fixtures.model(5, fixtures.tokenizer().vocabSize() + 8, 64)) {
            ModelLoader.save(other, dir.resolve("other"));
        }

        assertThatThrownBy(() -> evaluate("other", 4))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("dpo-reward-accuracy: reference: the checkpoint at")
                .hasMessageContaining("vocabulary size " + (fixtures.tokenizer().vocabSize() + 8));
    }

    @Test
    void aMissingReferenceDirectoryIsNamed() {
        assertThatThrownBy(() -> evaluate("nowhere", 4))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("dpo-reward-accuracy: reference: no such directory: ");
    }

    @Test
    void aRowOfAnotherKindIsNamedByFileAndLine() {
        Dataset data = new Dataset("prefs.jsonl", List.of(new Example.PromptOnly("q", new Source("prefs.jsonl", 7))));

        assertThatThrownBy(() -> new DpoRewardAccuracyEvaluatorProvider()
                .create(new DpoRewardAccuracyEvaluatorProvider().defaults()).checkData(data))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("prefs.jsonl:7: dpo-reward-accuracy needs preference rows");
    }
}
