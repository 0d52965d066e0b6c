package io.finetune4j.peft.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * LoRA applied to one model, as Hugging Face PEFT's {@code LoraModel}: every targeted linear layer is
 * replaced by a {@link LoraLinear}, the base weights are frozen, and only the adapters' {@code A} and
 * {@code B} train. Initialisation follows PEFT's default ({@code init_lora_weights=True}): {@code A} from
 * {@code kaiming_uniform_(a=sqrt(5))}, i.e. uniform in {@code ±1/sqrt(in_features)}, drawn from a
 * generator seeded with the method's seed (so the values differ from PyTorch's, not the distribution),
 * and {@code B = 0}, so the adapted model starts equal to the base.
 */
public final class LoraMethod implements Method {
    /** PEFT's {@code peft_type} of this method. */
    public static final String PEFT_TYPE = "LORA";
    /** PEFT's prefix of adapter parameter names ({@code PeftModel.base_model.model}). */
    static final String PREFIX = "base_model.model.";

    private final LoraConfig config;
    private final CausalLM model;
    private final NDManager manager;
    private final Map<String, LoraLinear> layers = new LinkedHashMap<>();
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();
    private final List<String> savedTargets;
    private boolean unloaded;

    LoraMethod(LoraConfig config, CausalLM model, long seed) {
        this.config = config;
        this.model = model;
        Set<String> matched = new LinkedHashSet<>();
        List<String> targets = TargetModules.resolve(
                new ArrayList<>(model.linears().keySet()), config.targetModules(), matched);
        this.savedTargets = TargetModules.sorted(matched);
        for (String name : targets) {
            Linear existing = model.linears().get(name);
            if (existing.base() != existing) {
                throw new ConfigException(String.format(
                        "target_modules: module '%s' is already wrapped by %s", name, existing));
            }
        }
        // Freeze every base weight: only adapter parameters train (PEFT's mark_only_lora_as_trainable).
        model.parameters().values().forEach(parameter -> parameter.setRequiresGradient(false));
        this.manager = model.manager().newSubManager();
        NDArray scaling = manager.full(new Shape(), (float) config.scaling());
        SplittableRandom random = new SplittableRandom(seed);
        for (String name : targets) {
            Linear base = model.linears().get(name);
            NDArray a = manager.create(kaimingUniform(random, config.r(), base.inFeatures()),
                    new Shape(config.r(), base.inFeatures()));                     // [r, in]
            NDArray b = manager.zeros(new Shape(base.outFeatures(), config.r())); // [out, r]
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            LoraLinear layer = new LoraLinear(base, a, b, scaling, (float) config.loraDropout(), model);
            model.replaceLinear(name, layer);
            layers.put(name, layer);
            trainable.put(PREFIX + name + ".lora_A.weight", a);
            trainable.put(PREFIX + name + ".lora_B.weight", b);
        }
    }

    /**
     * {@code torch.nn.init.kaiming_uniform_(w, a=sqrt(5))} on a {@code [r, in]} weight: gain
     * {@code sqrt(2 / (1 + a²)) = sqrt(1/3)}, bound {@code gain · sqrt(3 / fan_in) = 1 / sqrt(in)}.
     */
    private static float[] kaimingUniform(SplittableRandom random, int r, int in) {
        double bound = 1.0 / Math.sqrt(in);
        float[] values = new float[r * in];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextDouble(-bound, bound);
        }
        return values;
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return Collections.unmodifiableMap(trainable);
    }

    /** The adapted layers by module name, in model order. */
    public Map<String, LoraLinear> layers() {
        return Collections.unmodifiableMap(layers);
    }

    public LoraConfig config() {
        return config;
    }

    /** The {@code target_modules} written to adapter_config.json: the entries that matched, sorted. */
    List<String> savedTargetModules() {
        return savedTargets;
    }

    /** True when some adapted layer is a GPT-2 Conv1D (PEFT's {@code fan_in_fan_out}). */
    boolean fanInFanOut() {
        return layers.values().stream().anyMatch(Linear::transposed);
    }

    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        requireLoaded("save an adapter");
        LoraAdapterFiles.write(dir, this, baseModelNameOrPath);
    }

    @Override
    public void loadAdapter(Path dir) {
        requireLoaded("load an adapter");
        LoraAdapterFiles.read(dir, this);
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    /**
     * PEFT's {@code merge_and_unload}: {@code W += scaling · B·A} (transposed for Conv1D, PEFT's
     * {@code transpose(weight, fan_in_fan_out)}), in place in the base weight array, then every
     * {@link LoraLinear} is replaced by its base layer and the adapter arrays are freed.
     */
    @Override
    public void mergeAndUnload() {
        requireLoaded("merge");
        for (LoraLinear layer : layers.values()) {
            try (NDManager scratch = model.manager().newSubManager()) {
                // copies lead the ops, so every intermediate is freed with the scratch manager
                NDArray a = scratch.create(layer.loraA().toFloatArray(), layer.loraA().getShape()); // [r, in]
                NDArray b = scratch.create(layer.loraB().toFloatArray(), layer.loraB().getShape()); // [out, r]
                NDArray delta = b.matMul(a).mul(scratch.full(new Shape(), (float) config.scaling())); // [out, in]
                layer.weight().addi(layer.transposed() ? delta.transpose() : delta);
            }
            model.replaceLinear(layer.name(), layer.base());
        }
        layers.clear();
        trainable.clear();
        manager.close();
        unloaded = true;
    }

    private void requireLoaded(String action) {
        if (unloaded) {
            throw new IllegalStateException("cannot " + action + ": the LoRA adapters were merged and unloaded");
        }
    }
}
