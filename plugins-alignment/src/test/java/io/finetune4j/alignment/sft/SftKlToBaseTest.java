package io.finetune4j.alignment.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.alignment.preference.PreferenceTestModel;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.runtime.data.TokenizedExample;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftKlToBaseTest {
    private static final Dataset DATA = new Dataset("train.jsonl", List.of(
            new Example.PromptCompletion("2+2=", "4", new Source("train.jsonl", 1)),
            new Example.Text("the cat sat", new Source("train.jsonl", 2)),
            new Example.PromptCompletion("capital? ", "Paris", new Source("train.jsonl", 3))));
    private static final List<Integer> BATCH = List.of(2, 0, 1);

    @TempDir
    Path dir;
    private PreferenceTestModel lm;

    @BeforeEach
    void setUp() {
        lm = new PreferenceTestModel(dir, 5);
    }

    @AfterEach
    void tearDown() {
        lm.close();
    }

    private SftObjective objective(KlToBaseConfig kl) {
        return (SftObjective) new SftObjectiveProvider()
                .create(new SftConfig("auto", true, false, true, false, "bfd", kl), lm.context(64, DATA));
    }

    private ObjectiveStep step(SftObjective objective, NDManager step) {
        return objective.compute(BATCH, step);
    }

    @Test
    void policyEqualToItsBaseHasZeroKlAndThePlainLoss() {
        try (NDManager step = lm.model.manager().newSubManager()) {
            float plain = step(objective(KlToBaseConfig.OFF), step).loss().getFloat();
            ObjectiveStep withKl = step(objective(new KlToBaseConfig(0.5, "forward")), step);
            ObjectiveStep reverse = step(objective(new KlToBaseConfig(0.5, "reverse")), step);

            assertThat(withKl.metrics().get("kl_to_base")).isCloseTo(0.0, within(1e-6));
            assertThat(reverse.metrics().get("kl_to_base")).isCloseTo(0.0, within(1e-6));
            assertThat(withKl.loss().getFloat()).isCloseTo(plain, within(1e-5f));
        }
    }

    @Test
    void klWithAdaptersIsTheHandComputedKlToTheAdaptersDisabledModel() {
        lm.addShiftAdapters(11);
        SftObjective objective = objective(new KlToBaseConfig(0.5, "forward"));
        double total = 0;
        int count = 0;
        for (int index : BATCH) {
            TokenizedExample example = objective.example(index);
            float[] policy = logits(example.ids());
            float[] base;
            try (AdapterScope off = lm.model.disableAdapters()) {
                base = logits(example.ids());
            }
            int vocab = lm.tokenizer.vocabSize();
            for (int t = 1; t < example.ids().length; t++) {
                if (example.targets()[t]) {
                    total += kl(base, policy, (t - 1) * vocab, vocab); // the logits at t - 1 predict token t
                    count++;
                }
            }
        }
        try (NDManager step = lm.model.manager().newSubManager()) {
            ObjectiveStep result = step(objective, step);
            double plainLoss = step(objective(KlToBaseConfig.OFF), step).loss().getFloat();

            assertThat(result.metrics().get("kl_to_base")).isCloseTo(total / count, within(1e-5));
            assertThat(total / count).isGreaterThan(1e-4);
            assertThat((double) result.loss().getFloat()).isCloseTo(plainLoss + 0.5 * total / count, within(1e-5));
        }
    }

    @Test
    void rejectsKlToBaseWhenTheBaseWeightsTrain() {
        lm.model.parameters().values().forEach(parameter -> parameter.setRequiresGradient(true));

        assertThatThrownBy(() -> objective(new KlToBaseConfig(0.1, "forward")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("kl_to_base: the base is the policy with its adapters disabled");
    }

    @Test
    void validationNamesTheNestedKeys() {
        ConfigProblems problems = ConfigProblems.at("stages[0].objective");

        new SftObjectiveProvider().validate(new SftConfig("auto", true, false, true, false, "bfd",
                new KlToBaseConfig(-1, "sideways")), problems);

        assertThat(problems.messages()).containsExactly(
                "stages[0].objective.kl_to_base.coefficient: must be a number >= 0, was -1.0",
                "stages[0].objective.kl_to_base.direction: must be one of [forward, reverse], was 'sideways'");
    }

    private float[] logits(long[] ids) {
        try (NDManager scope = lm.model.manager().newSubManager()) {
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            return lm.model.forward(ForwardInput.of(input)).logits().toFloatArray(); // [1, L, vocab]
        }
    }

    /** KL(p ‖ q) of the softmaxes of two logits rows, in double. */
    private static double kl(float[] p, float[] q, int row, int vocab) {
        double[] logP = logSoftmax(p, row, vocab);
        double[] logQ = logSoftmax(q, row, vocab);
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            sum += Math.exp(logP[v]) * (logP[v] - logQ[v]);
        }
        return sum;
    }

    private static double[] logSoftmax(float[] logits, int row, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[row + v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            sum += Math.exp(logits[row + v] - max);
        }
        double[] out = new double[vocab];
        for (int v = 0; v < vocab; v++) {
            out[v] = logits[row + v] - max - Math.log(sum);
        }
        return out;
    }
}
