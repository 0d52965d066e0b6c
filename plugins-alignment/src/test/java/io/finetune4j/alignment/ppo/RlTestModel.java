package io.finetune4j.alignment.ppo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.alignment.preference.PreferenceTestModel;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.api.reward.RewardFunction;
import io.finetune4j.api.reward.RewardInput;
import io.finetune4j.runtime.generate.GenerationConfig;
import io.finetune4j.runtime.generate.Generator;
import io.finetune4j.runtime.service.CheckpointModelSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The tiny random Llama and byte-level tokenizer of the preference tests, with trainable shift adapters,
 * prompt data, and a rule-based reward written here: the share of completion tokens that are ASCII
 * characters (about half of the vocabulary, so a random model scores about 0.5 with room to rise).
 */
public final class RlTestModel implements AutoCloseable {
    public final PreferenceTestModel lm;
    public final CausalLM model;
    public final Map<String, NDArray> adapters;
    private final Set<Long> letters = new HashSet<>();

    public RlTestModel(Path dir, long seed) {
        lm = new PreferenceTestModel(dir, seed);
        model = lm.model;
        adapters = lm.addShiftAdapters(seed + 1);
        for (char c = 0; c < 128; c++) {
            long[] ids = lm.tokenizer.encode(String.valueOf(c), false);
            if (ids.length == 1) {
                letters.add(ids[0]);
            }
        }
    }

    /** Share of ASCII-character tokens in each completion. */
    public final RewardFunction letterReward = this::letterScores;

    public double[] letterScores(List<RewardInput> inputs) {
        double[] scores = new double[inputs.size()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = letterShare(inputs.get(i).completionIds());
        }
        return scores;
    }

    public double letterShare(long[] ids) {
        if (ids.length == 0) {
            return 0;
        }
        int hits = 0;
        for (long id : ids) {
            hits += letters.contains(id) ? 1 : 0;
        }
        return (double) hits / ids.length;
    }

    /** Mean letter reward of {@code samples} completions sampled at temperature 1 with fixed seeds. */
    public double sampledReward(List<String> prompts, int samples, int maxNewTokens) {
        double sum = 0;
        for (int i = 0; i < samples; i++) {
            long[] prompt = lm.tokenizer.encode(prompts.get(i % prompts.size()), true);
            long[] ids = Generator.generate(model, prompt, new GenerationConfig(maxNewTokens, 1.0, 0, 1, 1000 + i))
                    .outputIds();
            sum += letterShare(ids);
        }
        return sum / samples;
    }

    public static Dataset prompts(String name, String... prompts) {
        List<Example> rows = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            rows.add(new Example.PromptOnly(prompts[i], new Source(name, i + 1)));
        }
        return new Dataset(name, rows);
    }

    public ObjectiveContext context(int maxLength, RewardFunction reward, Dataset... data) {
        return new Context(model, List.of(data), maxLength, 11, model.manager(), Optional.ofNullable(reward));
    }

    @Override
    public void close() {
        lm.close();
    }

    record Context(CausalLM policy, List<Dataset> trainData, int maxLength, long seed, NDManager manager,
                   Optional<RewardFunction> reward) implements ObjectiveContext {
        @Override
        public ModelSource models() {
            return CheckpointModelSource.INSTANCE;
        }

        @Override
        public Path resolve(String path) {
            return Path.of(path);
        }
    }
}
