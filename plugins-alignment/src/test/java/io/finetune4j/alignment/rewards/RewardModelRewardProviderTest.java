package io.finetune4j.alignment.rewards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.alignment.preference.PreferenceTestModel;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.RewardFunctionProviderContract;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.api.reward.RewardContext;
import io.finetune4j.api.reward.RewardFunction;
import io.finetune4j.api.reward.RewardFunctionProvider;
import io.finetune4j.api.reward.RewardInput;
import io.finetune4j.runtime.model.ModelLoader;
import io.finetune4j.runtime.reward.RewardHead;
import io.finetune4j.runtime.reward.RewardModel;
import io.finetune4j.runtime.service.CheckpointModelSource;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardModelRewardProviderTest implements RewardFunctionProviderContract<RewardModelConfig> {
    @TempDir
    Path dir;

    @Override
    public RewardFunctionProvider<RewardModelConfig> provider() {
        return new RewardModelRewardProvider();
    }

    record Context(TextTokenizer tokenizer, Device device, Path base) implements RewardContext {
        @Override
        public ModelSource models() {
            return CheckpointModelSource.INSTANCE;
        }

        @Override
        public Path resolve(String path) {
            return path.startsWith("stage:") ? base.resolve(path.substring("stage:".length())) : Path.of(path);
        }
    }

    /** A reward stage's output: the merged model under model/ and a head saved by RewardHead.save. */
    private float[] rewardStage(Path stage) {
        float[] head = {0.3f, -0.2f, 0.5f, 0.1f, -0.4f, 0.25f, 0.05f, -0.15f};
        try (PreferenceTestModel reward = new PreferenceTestModel(dir.resolve("rm-src"), 21);
             NDManager manager = NDManager.newBaseManager()) {
            ModelLoader.save(reward.model, stage.resolve("model"));
            RewardHead.save(stage, manager.create(head, new Shape(1, 8)), "llama", 0.0);
        }
        return head;
    }

    @Test
    void scoresPromptPlusCompletionAtItsLastTokenLikeTheRewardModel() {
        float[] head = rewardStage(dir.resolve("runs").resolve("rm"));
        try (PreferenceTestModel policy = new PreferenceTestModel(dir.resolve("policy"), 5)) {
            long[] prompt = policy.tokenizer.encode("2+3=", true);
            List<RewardInput> inputs = List.of(
                    new RewardInput("2+3=", "5", prompt, policy.tokenizer.encode("5</s>", false), "5", new Source("a", 1)),
                    new RewardInput("2+3=", "five", prompt, policy.tokenizer.encode("five", false), "", new Source("a", 2)));
            double[] scores;
            try (RewardFunction function = provider().create(new RewardModelConfig("stage:rm", 1),
                    new Context(policy.tokenizer, Device.cpu(), dir.resolve("runs")))) {
                scores = function.score(inputs);
            }

            try (CausalLM model = ModelLoader.load(dir.resolve("runs/rm/model"), Device.cpu());
                 RewardModel rewardModel = RewardModel.load(dir.resolve("runs/rm"), Device.cpu())) {
                for (int i = 0; i < inputs.size(); i++) {
                    long[] ids = concat(prompt, inputs.get(i).completionIds());
                    assertThat(scores[i]).isCloseTo(lastTokenReward(model, ids, head), within(1e-5));
                    assertThat(scores[i]).isCloseTo(rewardModel.score(List.of(ids), 1)[0], within(1e-6));
                }
            }
        }
    }

    /** Independent: w · hidden of the last token, in doubles, from a single unpadded forward. */
    private static double lastTokenReward(CausalLM model, long[] ids, float[] head) {
        try (NDManager scope = NDManager.newBaseManager()) {
            NDArray input = scope.create(ids, new Shape(1, ids.length));
            float[] hidden = model.forward(ForwardInput.of(input).withLogits(ForwardInput.Logits.NONE))
                    .hiddenStates().toFloatArray();
            double sum = 0;
            int last = (ids.length - 1) * head.length;
            for (int k = 0; k < head.length; k++) {
                sum += (double) head[k] * hidden[last + k];
            }
            return sum;
        }
    }

    @Test
    void aPolicyWithAnotherVocabularyIsRefused() {
        rewardStage(dir.resolve("rm"));
        Path other = dir.resolve("other-tokenizer");
        TokenizerFiles.writeByteLevel(other, List.of("<s>", "</s>", "<pad>", "<extra>"), List.of(), "<s>", "</s>",
                "<pad>");
        try (HfTokenizer tokenizer = HfTokenizer.load(other)) {
            assertThatThrownBy(() -> provider().create(new RewardModelConfig(dir.resolve("rm").toString(), 4),
                    new Context(tokenizer, Device.cpu(), dir)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("reward-model: " + dir.resolve("rm") + " uses another tokenizer than the policy "
                            + "(vocabulary 259 vs 260); train the reward stage from the same base model");
        }
    }

    /** {@code path} is required: the defaults report exactly that, and pass once it is set. */
    @Override
    @Test
    public void defaultsPassValidation() {
        ConfigProblems missing = ConfigProblems.at("stages[2].reward");
        provider().validate(provider().defaults(), missing);
        assertThat(missing.messages()).containsExactly(
                "stages[2].reward.path: required: name a reward stage's directory, e.g. path: stage:rm");
        ConfigProblems set = ConfigProblems.at("stages[2].reward");
        provider().validate(new RewardModelConfig("stage:rm", 8), set);
        assertThat(set.messages()).isEmpty();
    }

    @Test
    void aMissingPathIsAConfigError() {
        assertThatThrownBy(() -> provider().create(provider().defaults(), new Context(null, Device.cpu(), dir)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("reward-model: path: required; name a reward stage's directory, e.g. path: stage:rm");
    }

    @Test
    void rejectsAZeroBatchSize() {
        ConfigProblems problems = ConfigProblems.at("stages[2].reward");

        provider().validate(new RewardModelConfig("stage:rm", 0), problems);

        assertThat(problems.messages()).containsExactly("stages[2].reward.batch_size: must be >= 1, was 0");
    }

    private static long[] concat(long[] a, long[] b) {
        long[] ids = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, ids, a.length, b.length);
        return ids;
    }
}
