package io.finetune4j.alignment.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.runtime.data.CausalLmBatch;
import io.finetune4j.runtime.data.CausalLmCollator;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.loss.LossMath;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingConfig;
import io.finetune4j.runtime.train.TrainingSummary;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftObjectiveTest {
    private static final Dataset DATA = new Dataset("train.jsonl", List.of(
            new Example.PromptCompletion("2+2=", "4", new Source("train.jsonl", 1)),
            new Example.Text("the cat sat", new Source("train.jsonl", 2)),
            new Example.PromptCompletion("capital of France? ", "Paris", new Source("train.jsonl", 3)),
            new Example.Conversation(List.of(new Example.Message("user", "hi"),
                    new Example.Message("assistant", "hello!")), new Source("train.jsonl", 4))));

    @TempDir
    Path dir;
    private TinyLm lm;

    @BeforeEach
    void setUp() {
        lm = new TinyLm(dir, 3);
    }

    @AfterEach
    void tearDown() {
        lm.close();
    }

    private SftObjective objective(Dataset data) {
        return (SftObjective) new SftObjectiveProvider().create(new SftConfig(true, true), lm.context(64, data));
    }

    /** Σ -log p(target) and the number of targets of one example, from an unpadded forward, in double. */
    private double[] nllAndCount(TokenizedExample example) {
        long[] ids = example.ids();
        boolean[] targets = example.targets();
        int vocab = lm.tokenizer.vocabSize();
        float[] logits;
        try (NDManager scope = lm.model.manager().newSubManager()) {
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            logits = lm.model.forward(ForwardInput.of(input)).logits().toFloatArray(); // [1, L, vocab]
        }
        double nll = 0;
        int count = 0;
        for (int t = 1; t < ids.length; t++) {
            if (!targets[t]) {
                continue;
            }
            int row = (t - 1) * vocab; // logits at t - 1 predict token t
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < vocab; v++) {
                max = Math.max(max, logits[row + v]);
            }
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                sum += Math.exp(logits[row + v] - max);
            }
            nll -= logits[row + (int) ids[t]] - max - Math.log(sum);
            count++;
        }
        return new double[] {nll, count};
    }

    @Test
    void lossIsMeanNllOverTargetTokensOfTheBatch() {
        SftObjective objective = objective(DATA);
        List<Integer> indices = List.of(3, 0, 2, 1);
        double nll = 0;
        double count = 0;
        for (int index : indices) {
            double[] part = nllAndCount(objective.example(index));
            nll += part[0];
            count += part[1];
        }

        try (NDManager step = lm.model.manager().newSubManager()) {
            ObjectiveStep result = objective.compute(indices, step);

            assertThat(result.loss().getShape()).isEqualTo(new Shape());
            assertThat((double) result.loss().getFloat()).isCloseTo(nll / count, within(1e-5));
            assertThat(result.metrics().get("num_target_tokens")).isEqualTo(count);
            assertThat(result.metrics()).containsKey("mean_token_accuracy");
            long realTokens = indices.stream().mapToLong(i -> objective.example(i).length()).sum();
            assertThat(result.tokens()).isEqualTo(realTokens);
        }
    }

    @Test
    void paddingAndNonTargetLabelsDoNotChangeTheLoss() {
        SftObjective objective = objective(DATA);
        List<TokenizedExample> rows = List.of(objective.example(0), objective.example(2), objective.example(1));
        try (NDManager step = lm.model.manager().newSubManager()) {
            float reference = loss(CausalLmCollator.collate(rows, lm.tokenizer.padTokenId(), step), false);
            float otherPadding = loss(CausalLmCollator.collate(rows, lm.id("x"), step), false);
            float otherLabels = loss(CausalLmCollator.collate(rows, lm.tokenizer.padTokenId(), step), true);

            assertThat(otherPadding).isCloseTo(reference, within(1e-6f));
            assertThat(otherLabels).isEqualTo(reference);
        }
    }

    /** The SFT loss of {@code batch}; with {@code scrambleMasked}, labels outside the mask are replaced first. */
    private float loss(CausalLmBatch batch, boolean scrambleMasked) {
        NDArray targets = batch.targetIds();
        if (scrambleMasked) {
            long[] ids = targets.toLongArray();
            float[] mask = batch.targetMask().toFloatArray();
            for (int i = 0; i < ids.length; i++) {
                ids[i] = mask[i] == 0 ? (ids[i] * 7 + 5) % lm.tokenizer.vocabSize() : ids[i];
            }
            targets = targets.getManager().create(ids, targets.getShape());
        }
        NDArray logits = lm.model.forward(ForwardInput.of(batch.inputIds()).withAttentionMask(batch.attentionMask())
                .withLogits(ForwardInput.Logits.ALL_BUT_LAST)).logits();
        return LossMath.maskedMeanCrossEntropy(logits, targets, batch.targetMask()).getFloat();
    }

    @Test
    void tokenizesEveryDatasetInOrder() {
        Dataset second = new Dataset("more.jsonl", List.of(new Example.Text("abc", new Source("more.jsonl", 1))));

        SftObjective objective = (SftObjective) new SftObjectiveProvider()
                .create(new SftConfig(true, true), lm.context(64, DATA, second));

        assertThat(objective.exampleCount()).isEqualTo(5);
        assertThat(objective.example(4).source()).isEqualTo(new Source("more.jsonl", 1));
    }

    @Test
    void rejectsABadRowBeforeTraining() {
        Dataset data = new Dataset("train.jsonl", List.of(new Example.Text("ok", new Source("train.jsonl", 1)),
                new Example.PromptOnly("tell me", new Source("train.jsonl", 2))));

        assertThatThrownBy(() -> objective(data))
                .isInstanceOf(ConfigException.class)
                .hasMessage("train.jsonl:2: sft trains on text, prompt/completion or messages rows, found a PromptOnly row");
    }

    @Test
    void trainingWithTheTrainerLowersTheLoss() {
        SftObjective objective = objective(DATA);
        // Full fine-tuning of the tiny model, written here because plugins never depend on each other.
        Map<String, NDArray> parameters = new LinkedHashMap<>(lm.model.parameters());
        parameters.values().forEach(parameter -> parameter.setRequiresGradient(true));
        Method everything = () -> parameters;
        TrainingConfig config = new TrainingConfig(1, 8, 4, 1, 3e-2, 0.0, 0.9, 0.999, 1e-8, 0, "constant",
                1.0, 1, 7);

        TrainingSummary summary = new Trainer(config, ProgressListener.NONE, (stage, step, values) -> { }, "sft")
                .fit(everything, objective);

        List<Double> losses = summary.stepLosses();
        assertThat(losses).hasSize(8).allMatch(Double::isFinite);
        assertThat(losses.get(7)).isLessThan(losses.get(0) * 0.85);
    }
}
