package io.finetune4j.runtime.model;

import ai.djl.ndarray.types.Shape;

/**
 * A tensor an architecture reads: its Hugging Face name, shape and how Hugging Face initialises it.
 *
 * @param std standard deviation for {@link Init#NORMAL}
 */
public record TensorSpec(String name, Shape shape, Init init, double std) {

    /** Hugging Face's {@code _init_weights}: linears and embeddings normal, biases zero, norms one. */
    public enum Init {
        NORMAL,
        ZEROS,
        ONES
    }

    public static TensorSpec normal(String name, double std, long... shape) {
        return new TensorSpec(name, new Shape(shape), Init.NORMAL, std);
    }

    public static TensorSpec zeros(String name, long... shape) {
        return new TensorSpec(name, new Shape(shape), Init.ZEROS, 0);
    }

    public static TensorSpec ones(String name, long... shape) {
        return new TensorSpec(name, new Shape(shape), Init.ONES, 0);
    }

    /** {@code [a, b]}, the way config.json users think of shapes. */
    public static String format(Shape shape) {
        StringBuilder text = new StringBuilder("[");
        for (int i = 0; i < shape.dimension(); i++) {
            text.append(i == 0 ? "" : ", ").append(shape.get(i));
        }
        return text.append(']').toString();
    }
}
