package io.finetune4j.peft.qlora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.api.method.ParameterGroup;
import io.finetune4j.api.method.StepInfo;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.lora.Loftq;
import io.finetune4j.peft.lora.LoraMethod;
import io.finetune4j.peft.lora.LoraMethodProvider;
import io.finetune4j.peft.quant.FourBitType;
import io.finetune4j.peft.quant.Int8Linear;
import io.finetune4j.peft.quant.Nf4Linear;
import io.finetune4j.peft.quant.Nf4Weights;
import io.finetune4j.peft.quant.QuantMemory;
import io.finetune4j.peft.quant.QuantTables;
import io.finetune4j.peft.quant.QuantizedLinear;
import io.finetune4j.runtime.model.DenseLinear;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * QLoRA on one model. First the frozen base is quantised as transformers' bitsandbytes integration does
 * ({@code replace_with_bnb_linear}): every linear layer except {@code lm_head} becomes an
 * {@link Nf4Linear} (NF4 or FP4 codes) or an {@link Int8Linear} put in place with {@code replaceLinear}, and its float32
 * weight is freed. Then the {@code lora} method adapts the quantised model, in float32, exactly as it
 * adapts a float one; this class delegates training, saving and loading to it.
 *
 * <p>Merging cannot fold a float update into 4-bit codes: {@link #mergeAndUnload()} dequantises every
 * quantised layer to float32 first (and logs it), so the result is a plain float32 model and checkpoint.
 */
public final class QloraMethod implements Method {
    private static final Logger LOG = LoggerFactory.getLogger(QloraMethod.class);
    /** Never quantised: transformers keeps the output layer in full precision ({@code get_keys_to_not_convert}). */
    static final String LM_HEAD = "lm_head";

    private final QloraConfig config;
    private final CausalLM model;
    private final QuantTables tables;
    private final List<QuantizedLinear> quantized = new ArrayList<>();
    private final Method lora;
    private final QuantMemory.Report memory;

    QloraMethod(QloraConfig config, MethodContext context) {
        this.config = config;
        this.model = context.model();
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, Linear> entry : model.linears().entrySet()) {
            if (entry.getKey().equals(LM_HEAD) || entry.getKey().endsWith("." + LM_HEAD)) {
                continue;
            }
            if (entry.getValue().base() != entry.getValue()) {
                throw new ConfigException(String.format(
                        "qlora: module '%s' is already wrapped by %s; qlora must be the model's first method",
                        entry.getKey(), entry.getValue()));
            }
            names.add(entry.getKey());
        }
        this.tables = new QuantTables(model.manager());
        Map<String, Loftq.Result> loftq = "loftq".equals(config.initLoraWeights())
                ? Loftq.forTargets(model, config.lora(), this::roundTrip) : new java.util.HashMap<>();
        // lm_head stays float: LoRA's own LoftQ init gives it PEFT's dequantised Q
        loftq.keySet().retainAll(names);
        for (String name : names) {
            Linear dense = model.linears().get(name);
            Loftq.Result start = loftq.get(name);
            if (start != null) {
                // quantising LoftQ's last input again gives exactly its Q (the same deterministic quantiser)
                dense.weight().set(stored(dense, start.quantizationInput()));
            }
            QuantizedLinear layer = "int8".equals(config.quantType())
                    ? Int8Linear.quantize(dense, model.manager())
                    : Nf4Linear.quantize(dense, config.blocksize(), config.doubleQuant(),
                            FourBitType.of(config.quantType()), tables, model.manager());
            model.replaceLinear(name, layer);
            quantized.add(layer);
            // the float32 weight is no longer referenced by any slot; the bias stays and is shared
            dense.weight().close();
        }
        this.lora = loftq.isEmpty() ? new LoraMethodProvider().create(config.lora(), context)
                : LoraMethod.withLoftq(config.lora(), context, loftq);
        // LoRA's setup freezes model.parameters(), which asks each quantised layer for a float copy
        quantized.forEach(QuantizedLinear::releaseWeightCopy);
        this.memory = QuantMemory.of(model);
        LOG.info("qlora: {} (+{} bytes of shared lookup tables), {} trainable LoRA parameters", memory,
                tables.storageBytes(), lora.trainableParameterCount());
    }

    /** Quantise-then-dequantise with this method's settings: LoftQ's quantiser under {@code qlora}. */
    private float[] roundTrip(float[] logical, int out, int in) {
        if ("int8".equals(config.quantType())) {
            return Int8Linear.roundTrip(logical, out, in);
        }
        return Nf4Weights.quantize(logical, config.blocksize(), config.doubleQuant(),
                FourBitType.of(config.quantType())).dequantize();
    }

    /** A logical {@code [out, in]} weight in {@code layer}'s stored layout (transposed for Conv1D). */
    private static float[] stored(Linear layer, float[] logical) {
        if (!layer.transposed()) {
            return logical;
        }
        int in = layer.inFeatures();
        int out = layer.outFeatures();
        float[] stored = new float[logical.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                stored[i * out + o] = logical[o * in + i];
            }
        }
        return stored;
    }

    /** The quantised base's memory, measured when the method was created. */
    public QuantMemory.Report memory() {
        return memory;
    }

    /** The {@code lora} method adapting the quantised model. */
    public Method lora() {
        return lora;
    }

    public QloraConfig config() {
        return config;
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return lora.trainableParameters();
    }

    @Override
    public ParameterGroup parameterGroup(String name, ParameterGroup stage) {
        return lora.parameterGroup(name, stage);
    }

    @Override
    public Optional<NDArray> regularizationLoss(NDManager scope) {
        return lora.regularizationLoss(scope);
    }

    @Override
    public void afterBackward(StepInfo step) {
        lora.afterBackward(step);
    }

    /**
     * Also frees any float copy a quantised layer made for {@link Linear#weight()} during the step (DoRA
     * reads the base weight on every forward), so no float weight stays resident between steps.
     */
    @Override
    public void afterStep(StepInfo step) {
        lora.afterStep(step);
        quantized.forEach(QuantizedLinear::releaseWeightCopy);
    }

    @Override
    public boolean isAdapter() {
        return lora.isAdapter();
    }

    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        lora.saveAdapter(dir, baseModelNameOrPath);
    }

    @Override
    public void loadAdapter(Path dir) {
        lora.loadAdapter(dir);
    }

    @Override
    public boolean canMerge() {
        return lora.canMerge();
    }

    /**
     * Dequantises every quantised layer to a float32 weight (stored layout), lets LoRA merge into those
     * weights, and leaves plain {@link DenseLinear} layers: a float32 model whose checkpoint has no trace
     * of the quantisation (beyond its rounding).
     */
    @Override
    public void mergeAndUnload() {
        LOG.info("qlora: dequantising {} {} layers to float32 before merging; the merged model is a plain"
                + " float32 checkpoint", quantized.size(), quantized.isEmpty() ? "" : quantized.get(0).scheme());
        quantized.forEach(QuantizedLinear::materialize);
        lora.mergeAndUnload();
        for (QuantizedLinear layer : quantized) {
            Linear slot = model.linears().get(layer.name());
            if (slot != layer) {
                throw new IllegalStateException("after merging, '" + layer.name() + "' holds " + slot
                        + " instead of its dequantised base");
            }
            model.replaceLinear(layer.name(),
                    new DenseLinear(layer.name(), layer.weight(), layer.bias().orElse(null), layer.transposed()));
        }
        quantized.clear();
        tables.close();
    }
}
