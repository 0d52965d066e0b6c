package io.finetune4j.peft.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.finetune4j.api.model.BlockHook;
import io.finetune4j.api.model.CausalLM;
import java.util.Objects;

/**
 * One bottleneck adapter, Houlsby et al. (2019) Fig. 2: {@code h + W_up · f(W_down · h + b_down) + b_up}, applied
 * to a sub-layer's output before the residual add. With {@code W_up = 0} and {@code b_up = 0} (the
 * initialisation) the adapter is exactly the identity.
 */
final class BottleneckAdapter implements BlockHook {
    private final NDArray downWeight;
    private final NDArray downBias;
    private final NDArray upWeight;
    private final NDArray upBias;
    private final String nonLinearity;
    private final CausalLM model;

    /**
     * @param downWeight {@code [bottleneck, hidden]}
     * @param downBias {@code [bottleneck]}
     * @param upWeight {@code [hidden, bottleneck]}
     * @param upBias {@code [hidden]}
     */
    BottleneckAdapter(NDArray downWeight, NDArray downBias, NDArray upWeight, NDArray upBias, String nonLinearity,
            CausalLM model) {
        this.downWeight = Objects.requireNonNull(downWeight, "downWeight is null");
        this.downBias = Objects.requireNonNull(downBias, "downBias is null");
        this.upWeight = Objects.requireNonNull(upWeight, "upWeight is null");
        this.upBias = Objects.requireNonNull(upBias, "upBias is null");
        this.nonLinearity = Objects.requireNonNull(nonLinearity, "nonLinearity is null");
        this.model = Objects.requireNonNull(model, "model is null");
    }

    @Override
    public NDArray apply(NDArray hidden, boolean training) {
        if (!model.adaptersEnabled()) {
            return hidden;
        }
        // hidden leads every op so each result joins the caller's (step) manager, not the adapter's.
        NDArray down = hidden.getNDArrayInternal().linear(hidden, downWeight, downBias).singletonOrThrow(); // [b, s, bottleneck]
        NDArray activated = activate(down);
        NDArray up = activated.getNDArrayInternal().linear(activated, upWeight, upBias).singletonOrThrow(); // [b, s, hidden]
        return hidden.add(up);
    }

    private NDArray activate(NDArray x) {
        return switch (nonLinearity) {
            case "relu" -> Activation.relu(x);
            case "gelu" -> Activation.gelu(x);
            case "silu" -> x.mul(Activation.sigmoid(x));
            default -> throw new IllegalStateException("non_linearity '" + nonLinearity + "' passed validation");
        };
    }
}
