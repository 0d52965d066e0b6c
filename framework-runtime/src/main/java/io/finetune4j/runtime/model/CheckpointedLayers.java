package io.finetune4j.runtime.model;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.finetune4j.runtime.train.BackwardTape;
import io.finetune4j.runtime.train.NoGradient;

/**
 * The decoder layers with gradient checkpointing, as {@code torch.utils.checkpoint} per layer: the
 * forward keeps only each layer's input ({@code [batch, length, hidden]}) and records nothing; the
 * deferred backward recomputes layer {@code L-1}, then {@code L-2}, ..., each time back-propagating the
 * gradient at its output into its input and its trainable parameters (adapters, hooks, prefix caches,
 * full weights). Dropout draws the same masks twice: each layer runs under a seed drawn from the engine's
 * generator in the forward and set again for the recomputation.
 *
 * <p>Each layer's intermediates live in a sub-manager closed when the layer is done, in the forward and
 * in the recomputation, so at most one layer's activations exist at a time.
 */
final class CheckpointedLayers {
    private CheckpointedLayers() {}

    /** Runs every layer over {@code hidden} (the embeddings, possibly recorded) and defers their backward. */
    static NDArray run(Architecture architecture, ModelParts parts, int layers, NDArray hidden, ForwardState state,
                       BackwardTape tape) {
        NDManager step = state.manager;
        NDArray[] inputs = new NDArray[layers];
        long[] seeds = new long[layers];
        NDArray x = hidden;
        for (int i = 0; i < layers; i++) {
            inputs[i] = x;
            seeds[i] = step.randomInteger(0, Integer.MAX_VALUE, new Shape(), DataType.INT64).getLong();
            x = NoGradient.call(layerOnce(architecture, parts, i, x, state, seeds[i]));
        }
        NDArray output = x;                                   // computed without recording: a leaf
        output.setRequiresGradient(true);
        tape.defer(() -> backward(architecture, parts, inputs, seeds, output, state));
        return output;
    }

    private static java.util.function.Supplier<NDArray> layerOnce(Architecture architecture, ModelParts parts, int index,
                                                                  NDArray input, ForwardState state, long seed) {
        return () -> {
            NDManager step = state.manager;
            try (NDManager scope = step.newSubManager()) {
                input.attach(scope);                          // the layer's intermediates follow their first operand
                JniUtils.setSeed(seed);
                NDArray output = architecture.layer(parts, index, input, state);
                output.attach(step);
                input.attach(step);
                return output;
            }
        };
    }

    /** The gradient the loss's backward left at {@code output}, or null when none reached it. */
    private static NDArray gradientOf(NDArray output) {
        try {
            return output.getGradient();
        } catch (RuntimeException e) {
            return null; // libtorch has no gradient for an array the loss does not depend on
        }
    }

    private static void backward(Architecture architecture, ModelParts parts, NDArray[] inputs, long[] seeds,
                                 NDArray output, ForwardState state) {
        NDManager step = state.manager;
        NDArray upstream = gradientOf(output);                // [batch, length, hidden]
        if (upstream == null) {
            return; // the forward's output never reached the loss: nothing flows back through its layers
        }
        upstream.attach(step);
        for (int i = inputs.length - 1; i >= 0; i--) {
            try (NDManager scope = step.newSubManager()) {
                NDArray input = inputs[i];
                // Layer 0's input is the (possibly recorded) embedding output: its graph reaches soft
                // prompts; the others were computed unrecorded and become leaves.
                if (i > 0) {
                    input.setRequiresGradient(true);
                }
                input.attach(scope);
                JniUtils.setSeed(seeds[i]);
                NDArray recomputed = architecture.layer(parts, i, input, state);
                try {
                    // keep the graph: prefix caches and soft prompts share theirs across layers
                    JniUtils.backward((PtNDArray) recomputed, (PtNDArray) upstream, true, false);
                } catch (EngineException e) {
                    if (i > 0 || !String.valueOf(e.getMessage()).contains("does not require grad")) {
                        throw e;
                    }
                    // nothing below the first layer's output trains
                }
                if (i > 0) {
                    NDArray gradient = input.getGradient();
                    gradient.attach(step);
                    upstream = gradient;
                }
            }
        }
    }
}
