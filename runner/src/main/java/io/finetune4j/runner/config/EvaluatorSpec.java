package io.finetune4j.runner.config;

import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import java.nio.file.Path;
import java.util.Set;

/**
 * One evaluator of a stage.
 *
 * @param data the resolved data file, already read into {@code dataset}
 * @param evaluator the evaluator, created once from {@code plugin} while the pipeline was checked; it has
 *     accepted {@code dataset}
 * @param when before training, after it, or both
 */
public record EvaluatorSpec(PluginChoice<EvaluatorProvider<?>> plugin, Path data, Dataset dataset,
                            Evaluator evaluator, Set<When> when) {
    public EvaluatorSpec {
        when = Set.copyOf(when);
    }

    /** When an evaluator runs relative to the stage's training. */
    public enum When {
        BEFORE, AFTER;

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
