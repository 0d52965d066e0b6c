package io.finetune4j.api.eval;

import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.Stable;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ModelSource;
import java.nio.file.Path;

/** What an evaluator judges and on which data. */
@Stable
public interface EvalContext {
    /** The model as the stage left it (adapters active). */
    CausalLM model();

    Dataset data();

    int maxLength();

    long seed();

    ProgressListener progress();

    /**
     * Loads the second models this evaluator may need (a reference, a baseline, a judge checkpoint); the runner
     * provides the runtime's implementation.
     */
    default ModelSource models() {
        throw new UnsupportedOperationException(getClass().getName() + " provides no model source");
    }

    /**
     * A path written in the evaluator's settings (a reward model, a judge, a reference checkpoint):
     * relative paths resolve against the pipeline file's directory, and {@code stage:NAME} is the output
     * directory of the earlier stage NAME in this run.
     */
    default Path resolve(String path) {
        return Path.of(path);
    }
}
