package io.finetune4j.peft.dylora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.StepInfo;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.peft.lora.TargetModules;
import io.finetune4j.peft.tuner.TunerLayers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;

/**
 * DyLoRA applied to one model: every targeted linear layer becomes a {@link DyLoraLinear} with LoRA's
 * initialisation (A kaiming-uniform, B zero, so the model starts unchanged) and the base is frozen. One rank
 * {@code b} for every layer is drawn uniformly from {@code 1..r} before the first step and again after each
 * optimizer step ({@link #afterStep}); the reference's training loop draws {@code randint(0, r)} and calls
 * {@code set_rank} on every module, so all layers share the step's rank and every micro-batch of one step sees it.
 */
public final class DyLoraMethod implements Method {
    /** The layout it writes: PEFT's LoRA. */
    public static final String PEFT_TYPE = "LORA";
    static final String PREFIX = "base_model.model.";
    static final String A_SUFFIX = ".lora_A.weight";
    static final String B_SUFFIX = ".lora_B.weight";

    private final DyLoraConfig config;
    private final CausalLM model;
    private final TunerLayers<DyLoraLinear> layers;
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();
    private final List<String> savedTargets;
    private final SplittableRandom sampler;
    private int trainingRank;
    private int inferenceRank;

    DyLoraMethod(DyLoraConfig config, CausalLM model, long seed) {
        this.config = config;
        this.model = model;
        Set<String> matched = new LinkedHashSet<>();
        List<String> targets = TargetModules.select(new ArrayList<>(model.linears().keySet()),
                new TargetModules.Fields(config.targetModules(), List.of(), List.of(), List.of(), List.of()), matched);
        this.savedTargets = List.copyOf(new TreeSet<>(matched));
        this.layers = TunerLayers.inject(model, targets, "the DyLoRA adapters");
        NDManager manager = layers.manager();
        SplittableRandom init = new SplittableRandom(seed);
        int r = config.r();
        for (String name : targets) {
            Linear base = model.linears().get(name);
            int in = base.inFeatures();
            // torch.nn.init.kaiming_uniform_(A, a=sqrt(5)): bound 1 / sqrt(fan_in), as the reference and PEFT
            float[] values = new float[r * in];
            double bound = 1.0 / Math.sqrt(in);
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) init.nextDouble(-bound, bound);
            }
            NDArray a = manager.create(values, new Shape(r, in));                  // [r, in]
            NDArray b = manager.zeros(new Shape(base.outFeatures(), r));           // [out, r]
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            layers.wrap(new DyLoraLinear(base, a, b, config.loraAlpha(), (float) config.loraDropout(), config.frozen(),
                    model));
            trainable.put(PREFIX + name + A_SUFFIX, a);
            trainable.put(PREFIX + name + B_SUFFIX, b);
        }
        this.sampler = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
        setInferenceRank(config.inferenceRank());
        sampleTrainingRank();
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return Collections.unmodifiableMap(trainable);
    }

    /** The next step's rank: uniform on {@code 1..r} (the reference's {@code randint(0, r) + 1}). */
    @Override
    public void afterStep(StepInfo step) {
        sampleTrainingRank();
    }

    private void sampleTrainingRank() {
        trainingRank = 1 + sampler.nextInt(config.r());
        layers.layers().values().forEach(layer -> layer.setTrainingRank(trainingRank));
    }

    /** The rank the current training step uses. */
    public int trainingRank() {
        return trainingRank;
    }

    /** The rank used outside training, by evaluation and generation, and by {@link #mergeAndUnload()}. */
    public int inferenceRank() {
        return inferenceRank;
    }

    /** Truncates the adapter to rank {@code k} in {@code [1, r]} outside training and for merging. */
    public void setInferenceRank(int k) {
        if (k < 1 || k > config.r()) {
            throw new IllegalArgumentException("rank must be in [1, r = " + config.r() + "], was " + k);
        }
        inferenceRank = k;
        layers.layers().values().forEach(layer -> layer.setInferenceRank(k));
    }

    /** The adapted layers by module name, in model order. */
    public Map<String, DyLoraLinear> layers() {
        return layers.layers();
    }

    public DyLoraConfig config() {
        return config;
    }

    List<String> savedTargetModules() {
        return savedTargets;
    }

    boolean fanInFanOut() {
        return layers.fanInFanOut();
    }

    /**
     * The adapter's tensors at rank {@code k} by PEFT name: {@code A[:k]} {@code [k, in]} and {@code B[:, :k]}
     * {@code [out, k]}, copies owned by {@code scratch}.
     */
    Map<String, NDArray> tensorsAtRank(int k, NDManager scratch) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        trainable.forEach((name, array) -> {
            tensors.put(name, slice(array, name.endsWith(A_SUFFIX) ? ":{}" : ":, :{}", k, scratch));
        });
        return tensors;
    }

    /** A copy of {@code array[index]} detached from autograd, owned by {@code scratch}. */
    private static NDArray slice(NDArray array, String index, int k, NDManager scratch) {
        NDArray view = array.get(new NDIndex(index, k));
        view.attach(scratch);
        NDArray copy = view.stopGradient();
        copy.attach(scratch);
        return copy;
    }

    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        layers.requireLoaded("save an adapter");
        DyLoraAdapterFiles.write(dir, this, baseModelNameOrPath);
    }

    @Override
    public void loadAdapter(Path dir) {
        layers.requireLoaded("load an adapter");
        DyLoraAdapterFiles.read(dir, this);
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    /**
     * Folds the update at the inference rank {@code k} into each base weight, {@code W += (alpha / k) · B[:, :k] ·
     * A[:k]} in the stored layout (transposed for a GPT-2 Conv1D), then puts the base layers back and frees the
     * adapter.
     */
    @Override
    public void mergeAndUnload() {
        layers.requireLoaded("merge");
        int k = inferenceRank;
        layers.mergeEach(layer -> {
            try (NDManager scratch = model.manager().newSubManager()) {
                NDArray a = slice(layer.loraA(), ":{}", k, scratch);                         // [k, in]
                NDArray b = slice(layer.loraB(), ":, :{}", k, scratch);                      // [out, k]
                NDArray delta = b.matMul(a).mul(layer.scaling(k));                           // [out, in]
                layer.weight().addi(layer.transposed() ? delta.transpose() : delta);
            }
        });
        trainable.clear();
        layers.close();
    }
}
