package io.finetune4j.peft.bottleneck;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.finetune4j.api.model.BlockHook;
import io.finetune4j.api.model.CausalLM;
import java.util.Objects;

/**
 * One bottleneck adapter, Houlsby et al. (2019) Fig. 2, as AdapterHub's {@code Adapter} (adapters
 * {@code methods/modeling.py}, {@code pre_forward}/{@code forward}) computes it for a pre-LN decoder, where the
 * model passes no layer norm: on a sub-layer output {@code h} about to be added to the residual stream {@code x},
 * it returns {@code h + W_up · f(W_down · in + b_down) + b_up} with {@code in = h} ({@code houlsby},
 * {@code original_ln_before: false}) or {@code in = h + x} ({@code pfeiffer}, {@code original_ln_before: true}:
 * the input includes the residual stream, the adapter's own skip connection is still {@code h}).
 */
final class BottleneckAdapter implements BlockHook {
    private final NDArray downWeight;
    private final NDArray downBias;
    private final NDArray upWeight;
    private final NDArray upBias;
    private final String nonLinearity;
    private final boolean residualInput;
    private final CausalLM model;

    /**
     * @param downWeight {@code [bottleneck, hidden]}
     * @param downBias {@code [bottleneck]}
     * @param upWeight {@code [hidden, bottleneck]}
     * @param upBias {@code [hidden]}
     * @param residualInput whether the adapter's input is {@code h + x} (Pfeiffer) rather than {@code h}
     */
    BottleneckAdapter(NDArray downWeight, NDArray downBias, NDArray upWeight, NDArray upBias, String nonLinearity,
            boolean residualInput, CausalLM model) {
        this.downWeight = Objects.requireNonNull(downWeight, "downWeight is null");
        this.downBias = Objects.requireNonNull(downBias, "downBias is null");
        this.upWeight = Objects.requireNonNull(upWeight, "upWeight is null");
        this.upBias = Objects.requireNonNull(upBias, "upBias is null");
        this.nonLinearity = Objects.requireNonNull(nonLinearity, "nonLinearity is null");
        this.residualInput = residualInput;
        this.model = Objects.requireNonNull(model, "model is null");
    }

    /** Without the residual stream: only valid for an adapter whose input is {@code h} alone (Houlsby). */
    @Override
    public NDArray apply(NDArray hidden, boolean training) {
        if (residualInput) {
            throw new IllegalStateException("a pfeiffer adapter reads the residual stream; call apply(hidden, residual, training)");
        }
        return apply(hidden, null, training);
    }

    @Override
    public NDArray apply(NDArray hidden, NDArray residual, boolean training) {
        if (!model.adaptersEnabled()) {
            return hidden;
        }
        // hidden leads every op so each result joins the caller's (step) manager, not the adapter's.
        NDArray in = residualInput ? hidden.add(residual) : hidden; // [b, s, hidden]
        NDArray down = in.getNDArrayInternal().linear(in, downWeight, downBias).singletonOrThrow(); // [b, s, bottleneck]
        NDArray activated = activate(down);
        NDArray up = activated.getNDArrayInternal().linear(activated, upWeight, upBias).singletonOrThrow(); // [b, s, hidden]
        return hidden.add(up);
    }

    private NDArray activate(NDArray x) {
        return switch (nonLinearity) {
            case "relu" -> Activation.relu(x);
            case "gelu" -> Activation.gelu(x);
            case "silu", "swish" -> x.mul(Activation.sigmoid(x));
            default -> throw new IllegalStateException("non_linearity '" + nonLinearity + "' passed validation");
        };
    }
}
