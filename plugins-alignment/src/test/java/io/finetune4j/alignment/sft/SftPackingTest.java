package io.finetune4j.alignment.sft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.runtime.data.CausalLmBatch;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.loss.LossMath;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingConfig;
import io.finetune4j.runtime.train.TrainingSummary;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SftPackingTest {
    private static final Source SOURCE = new Source("train.jsonl", 1);
    private static final Dataset DATA = new Dataset("train.jsonl", List.of(
            new Example.PromptCompletion("2+2=", "4", new Source("train.jsonl", 1)),
            new Example.Text("the cat sat", new Source("train.jsonl", 2)),
            new Example.PromptCompletion("capital of France? ", "Paris", new Source("train.jsonl", 3)),
            new Example.Conversation(List.of(new Example.Message("user", "hi"),
                    new Example.Message("assistant", "hello!")), new Source("train.jsonl", 4)),
            new Example.Text("a dog ran", new Source("train.jsonl", 5)),
            new Example.PromptCompletion("1+1=", "2", new Source("train.jsonl", 6))));

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

    private static TokenizedExample example(long... ids) {
        return TokenizedExample.allTargets(ids, SOURCE);
    }

    private static List<List<Long>> ids(List<PackedSequence> rows) {
        return rows.stream().map(row -> row.parts().stream()
                .flatMap(part -> java.util.Arrays.stream(part.ids()).boxed()).toList()).toList();
    }

    @Test
    void bestFitDecreasingMatchesTrlsExample() {
        // the example of trl.data_utils.pack_dataset: [[1,2,3],[4,5],[6,7,8],[9]], seq_length 4
        List<PackedSequence> rows = SftPacker.pack(List.of(example(1, 2, 3), example(4, 5), example(6, 7, 8), example(9)), 4, "bfd");

        assertThat(ids(rows)).containsExactly(List.of(1L, 2L, 3L, 9L), List.of(6L, 7L, 8L), List.of(4L, 5L));
        assertThat(rows.get(0).parts()).extracting(TokenizedExample::length).containsExactly(3, 1);
    }

    @Test
    void wrappedCutsEveryMaxLengthTokensKeepingExamplesApart() {
        List<PackedSequence> rows = SftPacker.pack(List.of(example(1, 2, 3), example(4, 5), example(6, 7, 8), example(9)), 4, "wrapped");

        assertThat(ids(rows)).containsExactly(List.of(1L, 2L, 3L, 4L), List.of(5L, 6L, 7L, 8L), List.of(9L));
        assertThat(rows.get(0).parts()).extracting(TokenizedExample::length).containsExactly(3, 1);
        assertThat(rows.get(1).parts()).extracting(TokenizedExample::length).containsExactly(1, 3);
    }

    @Test
    void rejectsAnUnknownPackingStrategy() {
        ConfigProblems problems = ConfigProblems.at("stages[0].objective");

        new SftObjectiveProvider().validate(new SftConfig("auto", true, true, true, true, "greedy"), problems);

        assertThat(problems.messages())
                .containsExactly("stages[0].objective.packing_strategy: must be one of [bfd, wrapped], was 'greedy'");
    }

    private SftObjective packedObjective(CausalLM model, String strategy) {
        SftConfig config = new SftConfig("auto", true, true, true, true, strategy);
        return (SftObjective) new SftObjectiveProvider().create(config,
                new TinyLm.Context(model, List.of(DATA), 40, 1, model.manager()));
    }

    /** Σ -log p(target) and the number of targets of one example alone (positions from 0), in double. */
    private static double[] nllAndCount(CausalLM model, TokenizedExample example) {
        long[] ids = example.ids();
        boolean[] targets = example.targets();
        int vocab = model.tokenizer().vocabSize();
        float[] logits;
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            logits = model.forward(ForwardInput.of(input)).logits().toFloatArray(); // [1, L, vocab]
        }
        double nll = 0;
        int count = 0;
        for (int t = 1; t < ids.length; t++) {
            if (!targets[t]) {
                continue;
            }
            int row = (t - 1) * vocab;
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

    /**
     * The packed loss of every row at once equals Σ NLL / Σ targets over the packed pieces run one by one, each
     * alone with positions from 0 (with bfd the pieces are the examples themselves).
     */
    private void assertPackedLossEqualsUnpacked(CausalLM model, String strategy) {
        SftObjective objective = packedObjective(model, strategy);
        assertThat(objective.exampleCount()).isLessThan(objective.tokenizedCount());
        double nll = 0;
        double count = 0;
        int pieces = 0;
        for (int i = 0; i < objective.exampleCount(); i++) {
            for (TokenizedExample piece : objective.packedRow(i).parts()) {
                double[] part = nllAndCount(model, piece);
                nll += part[0];
                count += part[1];
                pieces++;
            }
        }
        assertThat(pieces).isGreaterThanOrEqualTo(objective.tokenizedCount());
        List<Integer> all = IntStream.range(0, objective.exampleCount()).boxed().toList();

        try (NDManager step = model.manager().newSubManager()) {
            ObjectiveStep result = objective.compute(all, step);

            assertThat((double) result.loss().getFloat()).isCloseTo(nll / count, within(1e-5));
            assertThat(result.metrics().get("num_target_tokens")).isEqualTo(count);
        }
    }

    @Test
    void packedLossEqualsTheUnpackedLossOfEachExampleAloneOnLlama() {
        assertPackedLossEqualsUnpacked(lm.model, "bfd");
    }

    @Test
    void packedLossEqualsTheUnpackedLossOfEachExampleAloneOnGpt2() {
        // GPT-2's learned absolute positions make this fail unless positions restart per example (RoPE is
        // relative, so the Llama test alone would not notice)
        try (CausalLM gpt2 = ModelFactory.random(ModelFactory.gpt2Config(lm.tokenizer.vocabSize(), 8, 1, 2, 64),
                lm.tokenizer, dir, 5, Device.cpu())) {
            assertPackedLossEqualsUnpacked(gpt2, "bfd");
        }
    }

    @Test
    void withoutSegmentIdsThePackedLossWouldDiffer() {
        // the control for the two tests above: attention across examples changes the loss
        SftObjective objective = packedObjective(lm.model, "bfd");
        List<PackedSequence> rows = IntStream.range(0, objective.exampleCount()).mapToObj(objective::packedRow).toList();
        try (NDManager step = lm.model.manager().newSubManager()) {
            PackedBatch packed = PackedBatch.collate(rows, lm.tokenizer.padTokenId(), step);
            float separate = loss(packed, true, false);
            float leaking = loss(packed, false, false);

            assertThat(Math.abs(separate - leaking)).isGreaterThan(1e-4f);
        }
    }

    @Test
    void paddingAndMaskedLabelsDoNotChangeThePackedLoss() {
        SftObjective objective = packedObjective(lm.model, "bfd");
        List<PackedSequence> rows = IntStream.range(0, objective.exampleCount()).mapToObj(objective::packedRow).toList();
        assertThat(rows.stream().mapToInt(PackedSequence::length).distinct().count()).isGreaterThan(1); // padded
        try (NDManager step = lm.model.manager().newSubManager()) {
            float reference = loss(PackedBatch.collate(rows, lm.tokenizer.padTokenId(), step), true, false);
            float otherPadding = loss(PackedBatch.collate(rows, lm.id("x"), step), true, false);
            float otherLabels = loss(PackedBatch.collate(rows, lm.tokenizer.padTokenId(), step), true, true);

            assertThat(otherPadding).isCloseTo(reference, within(1e-6f));
            assertThat(otherLabels).isEqualTo(reference);
        }
    }

    /** The SFT loss of a packed batch, with or without its segment ids, optionally scrambling masked labels. */
    private float loss(PackedBatch packed, boolean segments, boolean scrambleMasked) {
        CausalLmBatch batch = packed.batch();
        NDArray targets = batch.targetIds();
        if (scrambleMasked) {
            long[] ids = targets.toLongArray();
            float[] mask = batch.targetMask().toFloatArray();
            for (int i = 0; i < ids.length; i++) {
                ids[i] = mask[i] == 0 ? (ids[i] * 7 + 5) % lm.tokenizer.vocabSize() : ids[i];
            }
            targets = targets.getManager().create(ids, targets.getShape());
        }
        ForwardInput input = ForwardInput.of(batch.inputIds()).withAttentionMask(batch.attentionMask())
                .withLogits(ForwardInput.Logits.ALL_BUT_LAST);
        if (segments) {
            input = input.withSegmentIds(packed.segmentIds());
        }
        NDArray logits = lm.model.forward(input).logits();
        return LossMath.maskedMeanCrossEntropy(logits, targets, batch.targetMask()).getFloat();
    }

    @Test
    void wrappedPackingFillsRowsAndKeepsPiecesApart() {
        SftObjective objective = packedObjective(lm.model, "wrapped");
        for (int i = 0; i + 1 < objective.exampleCount(); i++) {
            assertThat(objective.packedRow(i).length()).isEqualTo(40); // every row full but the last
        }
        assertPackedLossEqualsUnpacked(lm.model, "wrapped");
    }

    @Test
    void trainingWithPackingLowersTheLoss() {
        SftObjective objective = packedObjective(lm.model, "bfd");
        Map<String, NDArray> parameters = new LinkedHashMap<>(lm.model.parameters());
        parameters.values().forEach(parameter -> parameter.setRequiresGradient(true));
        Method everything = () -> parameters;
        TrainingConfig config = new TrainingConfig(1, 8, 2, 1, 3e-2, 0.0, 0.9, 0.999, 1e-8, 0, "constant",
                1.0, 1, 7);

        TrainingSummary summary = new Trainer(config, ProgressListener.NONE, (stage, step, values) -> { }, "sft")
                .fit(everything, objective);

        List<Double> losses = summary.stepLosses();
        assertThat(losses).hasSize(8).allMatch(Double::isFinite);
        assertThat(losses.get(7)).isLessThan(losses.get(0) * 0.85);
    }
}
