package io.finetune4j.runtime.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.model.ModelLoader;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardModelTest {
    private static final int HIDDEN = 16;

    @TempDir
    Path temp;

    /** A reward stage's layout: {@code model/} (merged weights) and the head beside it. */
    private Path rewardStage(float[] head) throws Exception {
        Path stage = temp.resolve("rm");
        Path modelDir = stage.resolve("model");
        Path tokDir = Files.createDirectories(temp.resolve("tok"));
        TokenizerFiles.writeByteLevel(tokDir, List.of("<s>", "</s>"), List.of(), "<s>", "</s>", null);
        try (HfTokenizer tokenizer = HfTokenizer.load(tokDir);
             CausalLM model = ModelFactory.random(ModelFactory.llamaConfig(258, HIDDEN, 2, 2, 1, 32, 64), tokenizer,
                     tokDir, 11, Device.cpu());
             NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelLoader.save(model, modelDir);
            RewardHead.save(stage, manager.create(head, new Shape(1, HIDDEN)), "llama", 0.0);
        }
        return stage;
    }

    @Test
    void scoresEqualTheHeadOnTheLastTokensFinalHiddenState() throws Exception {
        float[] head = new float[HIDDEN];
        Random random = new Random(3);
        for (int i = 0; i < HIDDEN; i++) {
            head[i] = (float) random.nextGaussian();
        }
        Path stage = rewardStage(head);
        List<long[]> sequences = List.of(new long[] {1, 70, 71, 72}, new long[] {1, 80}, new long[] {1, 90, 91});

        try (RewardModel rm = RewardModel.load(stage, Device.cpu())) {
            double[] scores = rm.score(sequences, 2);

            assertThat(scores).hasSize(3);
            for (int s = 0; s < sequences.size(); s++) {
                long[] ids = sequences.get(s);
                try (NDManager scope = rm.model().manager().newSubManager()) {
                    NDArray hidden = rm.model().forward(ForwardInput.of(scope.create(ids, new Shape(1, ids.length)))
                            .withLogits(ForwardInput.Logits.NONE)).hiddenStates();
                    float[] last = hidden.get(0, ids.length - 1).toFloatArray();
                    double expected = 0;
                    for (int i = 0; i < HIDDEN; i++) {
                        expected += (double) last[i] * head[i];
                    }
                    // Batched with padding vs alone: the same number up to float rounding.
                    assertThat(scores[s]).isCloseTo(expected, within(1e-4));
                }
            }
        }
    }

    @Test
    void aTrailingPadIsNotWhereTheScoreIsRead() throws Exception {
        float[] head = new float[HIDDEN];
        Random random = new Random(4);
        for (int i = 0; i < HIDDEN; i++) {
            head[i] = (float) random.nextGaussian();
        }
        try (RewardModel rm = RewardModel.load(rewardStage(head), Device.cpu())) {
            long pad = rm.model().tokenizer().padTokenId();
            assertThat(pad).isNotNegative();
            // transformers' *ForSequenceClassification reads the last non-pad token: with pad = EOS (TRL's reward
            // setup), the completion's last token, as the reward stage trained the head.
            double[] scores = rm.score(List.of(new long[] {1, 70, 71, pad}, new long[] {1, 70, 71}), 2);
            assertThat(scores[0]).isCloseTo(scores[1], within(1e-5));
            double atPad = rm.score(List.of(new long[] {1, 70, 71, pad == 72 ? 73 : 72}), 1)[0];
            assertThat(Math.abs(atPad - scores[1])).isGreaterThan(1e-6);
        }
    }

    @Test
    void aDirectoryWithoutAHeadIsNamed() {
        assertThatThrownBy(() -> RewardModel.load(temp, Device.cpu()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(temp.toAbsolutePath().toString())
                .hasMessageContaining("reward_head.safetensors");
    }
}
