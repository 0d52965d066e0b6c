package io.finetune4j.peft.dylora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.tuner.WrapperLinear;
import java.util.Objects;

/**
 * A frozen linear layer with a DyLoRA update beside it: at rank {@code b}
 * {@code y = base(x) + (lora_alpha / b) · B[:, :b] · A[:b] · dropout(x)} with {@code A [r, in]},
 * {@code B [out, r]}. The reference code ({@code huawei-noah/KD-NLP}, {@code DyLoRA/loralib/layers.py}, class
 * {@code dynamic}) multiplies both truncated factors by {@code sqrt(r / b)} on top of LoRA's {@code alpha / r},
 * which is the one factor {@code alpha / b} used here. While training the rank is the one the method sampled for
 * the step and, in frozen mode, rows {@code < b} of {@code A} and columns {@code < b} of {@code B} are detached
 * (only the {@code b}-th receive gradient: the paper's eq. 6-7); outside training it is the method's
 * inference rank. While the model's adapters are disabled the layer is exactly its base.
 */
public final class DyLoraLinear implements WrapperLinear {
    private final Linear base;
    private final NDArray a;
    private final NDArray b;
    private final double alpha;
    private final float dropout;
    private final boolean frozen;
    private final CausalLM model;
    private int trainingRank;
    private int inferenceRank;

    /**
     * @param a {@code [r, in]}
     * @param b {@code [out, r]}
     */
    DyLoraLinear(Linear base, NDArray a, NDArray b, double alpha, float dropout, boolean frozen, CausalLM model) {
        this.base = Objects.requireNonNull(base, "base is null");
        this.a = Objects.requireNonNull(a, "a is null");
        this.b = Objects.requireNonNull(b, "b is null");
        this.alpha = alpha;
        this.dropout = dropout;
        this.frozen = frozen;
        this.model = Objects.requireNonNull(model, "model is null");
        this.trainingRank = maxRank();
        this.inferenceRank = maxRank();
    }

    @Override
    public NDArray forward(NDArray x, boolean training) {
        NDArray result = base.forward(x, training);                                  // [..., out]
        if (!model.adaptersEnabled()) {
            return result;
        }
        int rank = training ? trainingRank : inferenceRank;
        NDManager step = x.getManager();
        NDArray[] factors = truncated(rank, training && frozen, step);
        NDArray input = training && dropout > 0 ? Dropout.dropout(x, dropout, true).singletonOrThrow() : x;
        NDArray down = input.getNDArrayInternal().linear(input, factors[0], null).singletonOrThrow(); // [..., b]
        NDArray up = down.getNDArrayInternal().linear(down, factors[1], null).singletonOrThrow();     // [..., out]
        // an array scalar, never a Java number, inside autograd (STACK.md)
        return result.add(up.mul(step.full(new Shape(), (float) scaling(rank))));
    }

    /**
     * {@code A[:rank]} {@code [rank, in]} and {@code B[:, :rank]} {@code [out, rank]}, owned by {@code step};
     * with {@code onlyLast} every row (column) but the last is detached from the graph, as the reference's
     * {@code torch.cat([x[:, :b-1].detach(), x[:, b-1]])}.
     */
    NDArray[] truncated(int rank, boolean onlyLast, NDManager step) {
        if (!onlyLast || rank == 1) {
            return new NDArray[] {owned(a.get(new NDIndex(":{}", rank)), step),
                    owned(b.get(new NDIndex(":, :{}", rank)), step)};
        }
        NDArray lowerA = owned(a.get(new NDIndex(":{}", rank - 1)), step).stopGradient();     // [b-1, in]
        NDArray lastA = owned(a.get(new NDIndex("{}:{}", rank - 1, rank)), step);              // [1, in]
        NDArray lowerB = owned(b.get(new NDIndex(":, :{}", rank - 1)), step).stopGradient();  // [out, b-1]
        NDArray lastB = owned(b.get(new NDIndex(":, {}:{}", rank - 1, rank)), step);           // [out, 1]
        lowerA.attach(step);
        lowerB.attach(step);
        return new NDArray[] {lowerA.concat(lastA, 0), lowerB.concat(lastB, 1)};
    }

    /** A view made from a parameter joins the adapter's manager; the step must own it instead. */
    private static NDArray owned(NDArray array, NDManager step) {
        array.attach(step);
        return array;
    }

    /** {@code lora_alpha / rank}: LoRA's {@code alpha / r} times the reference's {@code sqrt(r / b)} twice. */
    public double scaling(int rank) {
        return alpha / rank;
    }

    /** The largest rank {@code r}. */
    public int maxRank() {
        return Math.toIntExact(a.getShape().get(0));
    }

    /** {@code [r, in]}. */
    public NDArray loraA() {
        return a;
    }

    /** {@code [out, r]}. */
    public NDArray loraB() {
        return b;
    }

    public int trainingRank() {
        return trainingRank;
    }

    public int inferenceRank() {
        return inferenceRank;
    }

    void setTrainingRank(int rank) {
        trainingRank = checked(rank);
    }

    void setInferenceRank(int rank) {
        inferenceRank = checked(rank);
    }

    private int checked(int rank) {
        if (rank < 1 || rank > maxRank()) {
            throw new IllegalArgumentException("rank must be in [1, " + maxRank() + "], was " + rank);
        }
        return rank;
    }

    @Override public Linear base() { return base; }

    @Override
    public String toString() {
        return "DyLoraLinear[" + base + ", r=" + maxRank() + "]";
    }
}
