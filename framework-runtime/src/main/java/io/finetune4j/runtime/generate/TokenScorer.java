package io.finetune4j.runtime.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.Stable;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import java.util.Locale;

/** Log-probabilities of a sequence under a model, from one forward. */
@Stable
public final class TokenScorer {
    private TokenScorer() {}

    /** log p(ids[i] | ids[&lt;i]) for i &gt;= 1; element 0 is NaN. Double precision result of a float32 forward. */
    public static double[] logProbs(CausalLM model, long[] ids) {
        int limit = model.config().maxPositionEmbeddings();
        if (limit > 0 && ids.length > limit) {
            throw new ConfigException(String.format(Locale.ROOT, "%d tokens are more than the model reads: its "
                    + "config.json has max_position_embeddings %d; score at most %d tokens", ids.length, limit, limit));
        }
        double[] result = new double[ids.length];
        if (ids.length == 0) {
            return result;
        }
        result[0] = Double.NaN;
        if (ids.length == 1) {
            return result;
        }
        int n = ids.length;
        try (NDManager step = model.manager().getEngine().newBaseManager(model.device())) {
            NDArray input = step.create(ids, new Shape(1, n));
            long[] next = new long[n - 1];
            System.arraycopy(ids, 1, next, 0, n - 1);
            NDArray targets = step.create(next, new Shape(1, n - 1));
            float[] picked = model.scoreTargets(ForwardInput.of(input), targets).logProbs().toFloatArray(); // [1, n-1]
            for (int i = 1; i < n; i++) {
                result[i] = picked[i - 1];
            }
        }
        return result;
    }
}
