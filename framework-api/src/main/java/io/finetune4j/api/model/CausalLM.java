package io.finetune4j.api.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.Stable;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A decoder-only language model loaded from a Hugging Face checkpoint. Parameters keep their Hugging
 * Face names end to end, so checkpoint and adapter files are a matter of string prefixes.
 */
@Stable
public interface CausalLM extends AutoCloseable {
    ModelConfig config();

    TextTokenizer tokenizer();

    /** Owns the weights; lives as long as the model. */
    NDManager manager();

    Device device();

    /** Runs the model. Every array it creates joins the manager of {@code input.inputIds()}. */
    ForwardOutput forward(ForwardInput input);

    /**
     * Base parameters by Hugging Face name ({@code model.layers.0.self_attn.q_proj.weight}), in checkpoint
     * order, as stored (GPT-2 Conv1D weights stay {@code [in, out]}). Tied weights appear once.
     */
    Map<String, NDArray> parameters();

    /**
     * {@code log p(target)} at every position of {@code input} but the last, for training losses and
     * sequence log-probabilities. Implementations may avoid materialising the {@code [batch, seq - 1, vocab]}
     * logits (the runtime's models go through the vocabulary a chunk of tokens at a time); the result is
     * the same as {@code log_softmax(forward(input).logits()).gather(targetIds)}. The default does exactly that.
     *
     * @param input its {@link ForwardInput#logits()} is ignored
     * @param targetIds {@code [batch, seq - 1]} int64, each a valid vocabulary index
     */
    default TargetScores scoreTargets(ForwardInput input, NDArray targetIds) {
        return TargetScores.fromLogits(forward(input.withLogits(ForwardInput.Logits.ALL_BUT_LAST)), targetIds);
    }

    /** Every linear layer by module name, in model order; wrappers replace entries. */
    Map<String, Linear> linears();

    /** Puts {@code replacement} where the layer named {@code name} was. */
    void replaceLinear(String name, Linear replacement);

    /** Inserts {@code hook} at {@code point} of decoder layer {@code layer}; hooks at one point run in order. */
    void addHook(int layer, HookPoint point, BlockHook hook);

    /**
     * Rewrites the input of every forward before it runs, in the order added: prompt tuning prepends
     * embeddings, prefix tuning supplies a trainable initial cache. Skipped while adapters are disabled.
     */
    default void addInputTransform(UnaryOperator<ForwardInput> transform) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not support input transforms");
    }

    /** True unless inside {@link #disableAdapters()}; wrappers consult it on every forward. */
    boolean adaptersEnabled();

    /**
     * Makes every wrapper and hook behave as its base until the scope closes: the base model as a
     * reference, without a second copy of its weights.
     */
    AdapterScope disableAdapters();

    /** Total number of elements over {@link #parameters()}. */
    default long parameterCount() {
        return parameters().values().stream().mapToLong(NDArray::size).sum();
    }

    @Override
    void close();
}
