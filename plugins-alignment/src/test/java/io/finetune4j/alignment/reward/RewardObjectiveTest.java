package io.finetune4j.alignment.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.alignment.preference.PreferencePair;
import io.finetune4j.alignment.preference.PreferenceTestModel;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.objective.ObjectiveStep;
import io.finetune4j.runtime.data.TokenizedExample;
import io.finetune4j.runtime.reward.RewardHead;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardObjectiveTest {
    static final Dataset DATA = PreferenceTestModel.data("prefs.jsonl",
            new String[] {"Q: sky?\nA:", " blue.", " green, of course"},
            new String[] {"Q: 2+2?\nA:", " 4.", " 5"},
            new String[] {"Q: snow?\nA:", " white.", " black"},
            new String[] {"Q: grass?\nA:", " green.", " red"});

    @TempDir
    Path dir;

    private PreferenceTestModel lm;

    @BeforeEach
    void setUp() {
        lm = new PreferenceTestModel(dir.resolve("model"), 5);
    }

    @AfterEach
    void tearDown() {
        lm.close();
    }

    private RewardObjective objective(double margin) {
        return (RewardObjective) new RewardObjectiveProvider().create(new RewardConfig(margin, null, true), lm.context(64, DATA));
    }

    /** score · hidden state of the sequence's last token, the sequence run alone (no padding), in double. */
    private double reward(TokenizedExample example, float[] weight) {
        return reward(example.ids(), weight);
    }

    private double reward(long[] ids, float[] weight) {
        try (NDManager scope = lm.model.manager().newSubManager()) {
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            float[] hidden = lm.model.forward(ForwardInput.of(input).withLogits(ForwardInput.Logits.NONE))
                    .hiddenStates().toFloatArray();                                  // [1, seq, hidden]
            int size = weight.length;
            double sum = 0;
            for (int h = 0; h < size; h++) {
                sum += (double) weight[h] * hidden[(ids.length - 1) * size + h];
            }
            return sum;
        }
    }

    private static double logSigmoid(double v) {
        return v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v));
    }

    @Test
    void bradleyTerryLossAccuracyAndMarginByHand() {
        double margin = 0.01;
        RewardObjective objective = objective(margin);
        float[] weight = objective.weight().toFloatArray();
        double loss = 0;
        double wins = 0;
        double meanDifference = 0;
        for (int i = 0; i < 4; i++) {
            PreferencePair pair = objective.pair(i);
            double difference = reward(pair.chosen(), weight) - reward(pair.rejected(), weight);
            loss += -logSigmoid(difference - margin) / 4;
            wins += difference > 0 ? 0.25 : 0;
            meanDifference += difference / 4;
        }

        try (NDManager step = lm.model.manager().newSubManager()) {
            ObjectiveStep result = objective.compute(List.of(0, 1, 2, 3), step);

            assertThat((double) result.loss().getFloat()).isCloseTo(loss, within(1e-5));
            assertThat(result.metrics().get("accuracy")).isEqualTo(wins);
            assertThat(result.metrics().get("margin")).isCloseTo(meanDifference, within(1e-6));
        }
    }

    @Test
    void headIsTrainedByTheObjectiveAndRaisesAccuracy() {
        RewardObjective objective = objective(0);
        assertThat(objective.trainableParameters()).containsOnlyKeys("score.weight");
        assertThat(objective.weight().getShape()).isEqualTo(new Shape(1, 8));
        Map<String, NDArray> parameters = new LinkedHashMap<>(lm.model.parameters());
        parameters.values().forEach(parameter -> parameter.setRequiresGradient(true));
        float[] headBefore = objective.weight().toFloatArray();
        TrainingConfig config = new TrainingConfig(1, 15, 4, 1, 2e-2, 0.0, 0.9, 0.999, 1e-8, 0, "constant",
                1.0, 1, 7);

        List<Double> losses = new Trainer(config, ProgressListener.NONE, (stage, step, values) -> { }, "reward")
                .fit(() -> parameters, objective).stepLosses();

        assertThat(objective.weight().toFloatArray()).isNotEqualTo(headBefore);
        assertThat(losses.get(losses.size() - 1)).isLessThan(losses.get(0));
        try (NDManager step = lm.model.manager().newSubManager()) {
            assertThat(objective.compute(List.of(0, 1, 2, 3), step).metrics().get("accuracy")).isEqualTo(1.0);
        }
    }

    @Test
    void savedHeadLoadsBackAndScoresLikeTheObjective() throws Exception {
        RewardObjective objective = objective(0);
        Path stage = dir.resolve("stage");

        objective.save(stage);

        assertThat(Files.readString(stage.resolve(RewardHead.DESCRIPTION_FILE)))
                .contains("\"tensor\": \"score.weight\"", "\"shape\": [1, 8]", "\"pooling\": \"last_non_padding_token\"");
        try (NDManager manager = lm.model.manager().newSubManager()) {
            RewardHead head = RewardHead.load(stage, manager);
            assertThat(head.weight().toFloatArray()).containsExactly(objective.weight().toFloatArray());
            PreferencePair pair = objective.pair(1);
            double[] scores = head.score(lm.model, List.of(pair.chosen().ids(), pair.rejected().ids()), manager);
            float[] weight = objective.weight().toFloatArray();
            assertThat(scores).containsExactly(new double[] {reward(pair.chosen(), weight),
                    reward(pair.rejected(), weight)}, within(1e-5));
        }
    }

    @Test
    void loadingFromADirectoryWithoutAHeadNamesTheFile() {
        try (NDManager manager = lm.model.manager().newSubManager()) {
            assertThatThrownBy(() -> RewardHead.load(dir, manager))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage(dir.resolve("reward_head.safetensors") + ": no reward head here; train one with a"
                            + " 'reward' stage");
        }
    }

    @Test
    void centerRewardsCoefficientAddsTheMeanSquaredRewardSum() {
        double coefficient = 0.01;
        RewardObjective objective = (RewardObjective) new RewardObjectiveProvider()
                .create(new RewardConfig(0, coefficient, true), lm.context(64, DATA));
        float[] weight = objective.weight().toFloatArray();
        double loss = 0;
        double centring = 0;
        for (int i = 0; i < 4; i++) {
            PreferencePair pair = objective.pair(i);
            double chosen = reward(pair.chosen(), weight);
            double rejected = reward(pair.rejected(), weight);
            loss += -logSigmoid(chosen - rejected) / 4;
            centring += (chosen + rejected) * (chosen + rejected) / 4;   // TRL: c · mean((r_c + r_r)²)
        }

        try (NDManager step = lm.model.manager().newSubManager()) {
            assertThat((double) objective.compute(List.of(0, 1, 2, 3), step).loss().getFloat())
                    .isCloseTo(loss + coefficient * centring, within(1e-5));
        }
    }

    /**
     * transformers' {@code *ForSequenceClassification} pools the last token that is not {@code pad_token_id};
     * with pad == EOS (TRL's fallback) that is the completion's last token, before the appended EOS.
     */
    @Test
    void withPadEqualToEosTheScoreIsReadBeforeTheEos() {
        try (PreferenceTestModel padIsEos = new PreferenceTestModel(dir.resolve("pad-eos"), 5, "</s>")) {
            assertThat(padIsEos.tokenizer.padTokenId()).isEqualTo(padIsEos.tokenizer.eosTokenIds()[0]);
            RewardObjective objective = (RewardObjective) new RewardObjectiveProvider()
                    .create(new RewardConfig(0, null, true), padIsEos.context(64, DATA));
            float[] weight = objective.weight().toFloatArray();
            PreferencePair pair = objective.pair(0);
            long[] chosen = pair.chosen().ids();
            long[] rejected = pair.rejected().ids();
            long[] chosenBeforeEos = java.util.Arrays.copyOf(chosen, chosen.length - 1);
            long[] rejectedBeforeEos = java.util.Arrays.copyOf(rejected, rejected.length - 1);
            double expected = -logSigmoid(reward(padIsEos, chosenBeforeEos, weight)
                    - reward(padIsEos, rejectedBeforeEos, weight));
            double atEos = -logSigmoid(reward(padIsEos, chosen, weight) - reward(padIsEos, rejected, weight));

            try (NDManager step = padIsEos.model.manager().newSubManager()) {
                double loss = objective.compute(List.of(0), step).loss().getFloat();
                assertThat(loss).isCloseTo(expected, within(1e-5)).isNotCloseTo(atEos, within(1e-4));
            }
        }
    }

    private static double reward(PreferenceTestModel model, long[] ids, float[] weight) {
        try (NDManager scope = model.model.manager().newSubManager()) {
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            float[] hidden = model.model.forward(ForwardInput.of(input).withLogits(ForwardInput.Logits.NONE))
                    .hiddenStates().toFloatArray();
            double sum = 0;
            for (int h = 0; h < weight.length; h++) {
                sum += (double) weight[h] * hidden[(ids.length - 1) * weight.length + h];
            }
            return sum;
        }
    }
}
