package io.finetune4j.eval.preference;

import io.finetune4j.api.data.Source;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.runtime.generate.GenerationConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Model B of a pairwise comparison ({@code baseline}): the evaluated model with adapters disabled, or a
 * checkpoint directory that is loaded only while it answers and closed right after, so at most two models
 * are in memory at once. {@link #check} validates the setting before anything is generated.
 */
public final class Baseline {
    public static final String KEY = "baseline";

    private final Path dir; // null: the evaluated model with adapters disabled

    private Baseline(Path dir) {
        this.dir = dir;
    }

    /**
     * Checks {@code raw}: for {@code adapters-disabled} that the evaluated model has adapters (probing a
     * forward over {@code probe}), else that the directory holds a checkpoint.
     */
    public static Baseline check(EvalContext context, String raw, String evaluatorId, long[] probe) {
        if (raw.equals(ModelSource.ADAPTERS_DISABLED)) {
            ComparedModel.requireAdapters(context.model(), probe, evaluatorId, KEY);
            return new Baseline(null);
        }
        return new Baseline(ComparedModel.modelDir(context, raw, evaluatorId, KEY));
    }

    /** The checkpoint directory, empty for {@code adapters-disabled}. */
    public Optional<Path> dir() {
        return Optional.ofNullable(dir);
    }

    /** The baseline's answers to {@code prompts}. */
    public Answers answer(EvalContext context, List<String> prompts, List<Source> sources, GenerationConfig config,
                          Runnable afterEach, String evaluatorId) {
        try (ComparedModel model = dir == null
                ? ComparedModel.adaptersDisabled(context.model())
                : ComparedModel.load(context, dir)) {
            return model.call(m -> Answers.generate(m, prompts, sources, config, afterEach, evaluatorId));
        }
    }
}
