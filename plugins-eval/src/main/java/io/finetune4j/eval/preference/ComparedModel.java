package io.finetune4j.eval.preference;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.Linear;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.runtime.io.CheckpointReader;
import io.finetune4j.runtime.reward.RewardHead;
import io.finetune4j.runtime.train.NoGradient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;

/**
 * A second model an evaluator compares against (DPO's reference, win-rate's baseline): either the
 * evaluated model with its adapters switched off ({@code adapters-disabled}, no second copy of the weights)
 * or a checkpoint directory loaded for the evaluation and closed with this object.
 */
public final class ComparedModel implements AutoCloseable {
    private final CausalLM model;
    private final boolean disableAdapters;
    private final boolean owned;

    private ComparedModel(CausalLM model, boolean disableAdapters, boolean owned) {
        this.model = model;
        this.disableAdapters = disableAdapters;
        this.owned = owned;
    }

    /** The evaluated model with adapters off; call {@link #requireAdapters} first. */
    public static ComparedModel adaptersDisabled(CausalLM evaluated) {
        return new ComparedModel(evaluated, true, false);
    }

    /** Loads the checkpoint in {@code modelDir} (see {@link #modelDir}) through the context's model source. */
    public static ComparedModel load(EvalContext context, Path modelDir) {
        return new ComparedModel(context.models().load(modelDir, context.model().device()), false, true);
    }

    public boolean isAdaptersDisabled() {
        return disableAdapters;
    }

    /** Runs {@code body} on the model, with adapters off for {@code adapters-disabled}. */
    public <T> T call(Function<CausalLM, T> body) {
        if (!disableAdapters) {
            return body.apply(model);
        }
        try (AdapterScope off = model.disableAdapters()) {
            return body.apply(model);
        }
    }

    @Override
    public void close() {
        if (owned) {
            model.close();
        }
    }

    /**
     * The directory holding {@code config.json} for the path written under {@code key}: a stage's output
     * ({@code model/} inside it) or a model directory itself.
     */
    public static Path modelDir(EvalContext context, String raw, String evaluatorId, String key) {
        Path path = resolve(context, raw, evaluatorId, key);
        if (!Files.isDirectory(path)) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: %s: no such directory: %s", evaluatorId, key,
                    path.toAbsolutePath()));
        }
        if (Files.isRegularFile(path.resolve("model").resolve(CheckpointReader.CONFIG))) {
            return path.resolve("model");
        }
        if (!Files.isRegularFile(path.resolve(CheckpointReader.CONFIG))) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: %s: %s holds no %s (nor model/%s); give a"
                    + " model directory or a stage saved with merged weights", evaluatorId, key,
                    path.toAbsolutePath(), CheckpointReader.CONFIG, CheckpointReader.CONFIG));
        }
        return path;
    }

    /**
     * The reward model's directory for the path written under {@code key}, checked to hold
     * {@code reward_head.safetensors} and a model ({@link #modelDir}); load it with {@code RewardModel.load}.
     */
    public static Path rewardModelDir(EvalContext context, String raw, String evaluatorId, String key) {
        Path dir = resolve(context, raw, evaluatorId, key);
        modelDir(context, raw, evaluatorId, key);
        if (!Files.isRegularFile(dir.resolve(RewardHead.WEIGHTS_FILE))) {
            throw new ConfigException(String.format(Locale.ROOT, "%s: %s: %s has no %s; give the output of a"
                    + " 'reward' stage", evaluatorId, key, dir.toAbsolutePath(), RewardHead.WEIGHTS_FILE));
        }
        return dir;
    }

    /** {@code context.resolve(raw)}, its errors prefixed with the evaluator and key. */
    public static Path resolve(EvalContext context, String raw, String evaluatorId, String key) {
        try {
            return context.resolve(raw);
        } catch (ConfigException e) {
            throw new ConfigException(evaluatorId + ": " + key + ": " + e.getMessage(), e);
        }
    }

    /** A ConfigException unless the checkpoint in {@code modelDir} shares the evaluated model's vocabulary. */
    public static void requireVocab(EvalContext context, Path modelDir, String evaluatorId, String key) {
        context.models().requireSharedVocabulary(modelDir, context.model().config().vocabSize(),
                "the evaluated model", evaluatorId + ": " + key);
    }

    /**
     * A ConfigException unless {@code model} has adapters to switch off: a linear layer wrapping a base
     * (LoRA, DoRA, IA³, ...), or a forward over {@code probe} that changes when adapters are disabled (hooks,
     * virtual tokens). A merged or fully fine-tuned model has none, and "adapters-disabled" would compare it
     * with itself.
     */
    public static void requireAdapters(CausalLM model, long[] probe, String evaluatorId, String key) {
        if (model.linears().values().stream().anyMatch(ComparedModel::wraps) || changesWithoutAdapters(model, probe)) {
            return;
        }
        throw new ConfigException(String.format(Locale.ROOT, "%s: %s: '%s' needs a model with adapters, but the"
                + " evaluated model has none (merged or fully fine-tuned weights), so it would be compared with"
                + " itself; give a checkpoint directory instead, e.g. %s: stage:sft or %s: path/to/base-model",
                evaluatorId, key, ModelSource.ADAPTERS_DISABLED, key, key));
    }

    private static boolean wraps(Linear linear) {
        return linear.base() != linear;
    }

    private static boolean changesWithoutAdapters(CausalLM model, long[] probe) {
        if (probe.length == 0) {
            return false;
        }
        float[] with = probeLogits(model, probe);
        float[] without;
        try (AdapterScope off = model.disableAdapters()) {
            without = probeLogits(model, probe);
        }
        return !Arrays.equals(with, without);
    }

    private static float[] probeLogits(CausalLM model, long[] ids) {
        return NoGradient.call(() -> {
            try (NDManager scope = model.manager().newSubManager()) {
                ForwardInput input = ForwardInput.of(scope.create(ids, new Shape(1, ids.length)))
                        .withLogits(ForwardInput.Logits.LAST);
                return model.forward(input).logits().toFloatArray(); // [1, 1, vocab]
            }
        });
    }
}
