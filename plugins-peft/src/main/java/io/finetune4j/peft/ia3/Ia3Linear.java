package io.finetune4j.peft.ia3;

import ai.djl.ndarray.NDArray;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.tuner.WrapperLinear;
import java.util.Objects;

/**
 * A frozen linear layer rescaled by a learned vector, PEFT's {@code ia3.Linear}: for a feed-forward target
 * {@code y = base(x ⊙ l)} with {@code l [1, in]}, otherwise {@code y = base(x) ⊙ l} with {@code l [out, 1]}
 * (the bias is scaled too, as in PEFT, where the whole base output is multiplied). While the model's adapters
 * are disabled the layer is exactly its base.
 */
public final class Ia3Linear implements WrapperLinear {
    private final Linear base;
    private final NDArray vector;
    private final boolean feedforward;
    private final CausalLM model;

    /**
     * @param vector {@code [1, in]} when {@code feedforward}, else {@code [out, 1]}
     * @param model asked on every forward whether adapters are enabled
     */
    Ia3Linear(Linear base, NDArray vector, boolean feedforward, CausalLM model) {
        this.base = Objects.requireNonNull(base, "base is null");
        this.vector = Objects.requireNonNull(vector, "vector is null");
        this.feedforward = feedforward;
        this.model = Objects.requireNonNull(model, "model is null");
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        if (!model.adaptersEnabled()) {
            return base.forward(x, training);
        }
        NDArray scale = vector.reshape(-1); // PEFT's ia3_l.flatten(): [in] or [out], broadcast on the last axis
        scale.attach(x.getManager());       // a view made from the parameter would otherwise join the adapter's manager
        if (feedforward) {
            return base.forward(x.mul(scale), training);   // x leads: the product joins the step's manager
        }
        return base.forward(x, training).mul(scale);        // [..., out]
    }

    /** The learned vector, {@code [1, in]} for a feed-forward target, else {@code [out, 1]}. */
    public NDArray vector() {
        return vector;
    }

    public boolean feedforward() {
        return feedforward;
    }

    @Override public Linear base() { return base; }

    @Override
    public String toString() {
        return "Ia3Linear[" + base + (feedforward ? ", feedforward" : "") + "]";
    }
}
