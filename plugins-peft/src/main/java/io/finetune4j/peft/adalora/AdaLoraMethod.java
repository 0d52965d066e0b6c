package io.finetune4j.peft.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ConfigException;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AdaLoRA applied to one model, as Hugging Face PEFT's {@code AdaLoraModel} ({@code peft/tuners/adalora/model.py}):
 * every targeted linear layer becomes an {@link SvdLinear} with {@code init_r} triplets, the base is frozen,
 * the orthogonality penalty is added to the loss ({@link #regularizationLoss}) and the {@link RankAllocator}
 * prunes triplets during training.
 *
 * <p><b>When the allocation runs, against PEFT.</b> PEFT's documented loop is {@code loss.backward();
 * optimizer.step(); model.base_model.update_and_allocate(global_step); optimizer.zero_grad()} with
 * {@code global_step} counted from 0, so the importance {@code |p·grad|} uses the parameters after the update
 * and the gradient of that step. Our trainer's AdamW clears gradients inside its update, so
 * {@link #afterBackward} copies the adapter gradients and {@link #afterStep} runs PEFT's
 * {@code update_and_allocate(step − 1)} with them: the same values in the same order. The one difference: PEFT
 * under Hugging Face's Trainer sees gradients after {@code clip_grad_norm_} clipped them in place; ours are the
 * unclipped ones (our trainer passes the clipping factor to the optimizer instead), so with clipping active
 * a step's sensitivities are larger by the inverse of that factor.
 */
public final class AdaLoraMethod implements Method {
    /** PEFT's {@code peft_type} of this method. */
    public static final String PEFT_TYPE = "ADALORA";
    /** PEFT's prefix of adapter parameter names. */
    static final String PREFIX = "base_model.model.";

    private static final Logger LOG = LoggerFactory.getLogger(AdaLoraMethod.class);

    private final AdaLoraConfig config;
    private final CausalLM model;
    private final NDManager manager;
    private final TunerLayers<SvdLinear> layers;
    private final Map<String, NDArray> trainable = new LinkedHashMap<>();
    private final List<String> savedTargets;
    private final RankAllocator allocator;
    private Map<String, List<Boolean>> rankPattern;
    private NDManager gradientCopies;
    private List<NDArray[]> gradients;
    private boolean warnedTotal;

    AdaLoraMethod(AdaLoraConfig config, CausalLM model, long seed) {
        this.config = config;
        this.model = model;
        Set<String> matched = new java.util.LinkedHashSet<>();
        // AdaLoRA inherits LoRA's check_target_module_exists; it has no modules_to_save.
        List<String> targets = TargetModules.select(new ArrayList<>(model.linears().keySet()),
                new TargetModules.Fields(config.targetModules(), config.excludeModules(), config.layersToTransform(),
                        config.layersPattern(), List.of()), matched);
        this.savedTargets = List.copyOf(new java.util.TreeSet<>(matched)); // PEFT writes target_modules from a set
        this.layers = TunerLayers.inject(model, targets, "the AdaLoRA adapters");
        this.manager = layers.manager();
        SplittableRandom random = new SplittableRandom(seed);
        List<RankAllocator.Triplet> triplets = new ArrayList<>();
        for (String name : targets) {
            triplets.add(addLayer(model.linears().get(name), random));
        }
        trainBiases();
        this.rankPattern = config.rankPattern().isEmpty() ? null : config.rankPattern();
        this.allocator = new RankAllocator(config, triplets, manager);
    }

    /**
     * PEFT's {@code AdaLoraLayer.update_layer}: A {@code [r, in]}, E {@code [r, 1]}, B {@code [out, r]}; with
     * {@code init_lora_weights} A and B from normal(0, 0.02) and E = 0, else all from normal(0, 1). A module
     * named in {@code rank_pattern} is created at its kept rank with {@code ranknum = init_r}, as PEFT's
     * {@code resize_modules_by_rank_pattern} leaves it.
     */
    private RankAllocator.Triplet addLayer(Linear base, SplittableRandom random) {
        String name = base.name();
        List<Boolean> mask = config.rankPattern().get(name + ".lora_E");
        int rank = mask == null ? config.initR() : (int) mask.stream().filter(Boolean::booleanValue).count();
        int in = base.inFeatures();
        int out = base.outFeatures();
        double std = config.initLoraWeights() ? 0.02 : 1.0;
        NDArray a = manager.create(gaussian(random, rank * in, std), new Shape(rank, in));        // [r, in]
        NDArray e = manager.create(config.initLoraWeights() ? new float[rank] : gaussian(random, rank, 1.0),
                new Shape(rank, 1));                                                                  // [r, 1]
        NDArray b = manager.create(gaussian(random, out * rank, std), new Shape(out, rank));      // [out, r]
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        e.setRequiresGradient(true);
        // PEFT's named_parameters order: lora_A, lora_B, then lora_E (registered last by AdaLoraLayer)
        trainable.put(PREFIX + name + ".lora_A", a);
        trainable.put(PREFIX + name + ".lora_B", b);
        trainable.put(PREFIX + name + ".lora_E", e);
        double scaling = config.scaling(rank);
        float ranknum = config.initR();
        NDArray factor = manager.create(SvdLinear.factor(scaling, ranknum));
        layers.wrap(new SvdLinear(base, a, e, b, factor, scaling, ranknum, (float) config.loraDropout(), model));
        return new RankAllocator.Triplet(name, a, e, b);
    }

    private static float[] gaussian(SplittableRandom random, int size, double std) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
        return values;
    }

    /** PEFT's {@code bias}: {@code all} trains every bias, {@code lora_only} those of adapted layers, in place. */
    private void trainBiases() {
        if (config.bias().equals("none")) {
            return;
        }
        for (Map.Entry<String, NDArray> parameter : model.parameters().entrySet()) {
            String name = parameter.getKey();
            if (!name.endsWith(".bias")) {
                continue;
            }
            String module = name.substring(0, name.length() - ".bias".length());
            boolean adapted = layers.get(module) != null;
            if (adapted || config.bias().equals("all")) {
                parameter.getValue().setRequiresGradient(true);
                trainable.put(PREFIX + module + (adapted ? ".base_layer.bias" : ".bias"), parameter.getValue());
            }
        }
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        return Collections.unmodifiableMap(trainable);
    }

    /** The adapted layers by module name, in model order. */
    public Map<String, SvdLinear> layers() {
        return layers.layers();
    }

    public AdaLoraConfig config() {
        return config;
    }

    /** The current allocation, per {@code <module>.lora_E} (true = kept); empty before the first masking. */
    public Map<String, List<Boolean>> rankPattern() {
        return rankPattern == null ? Map.of() : Collections.unmodifiableMap(rankPattern);
    }

    /** Kept triplets per module: from {@link #rankPattern()}, or every triplet before the first masking. */
    public Map<String, Integer> ranks() {
        Map<String, Integer> ranks = new LinkedHashMap<>();
        layers.layers().forEach((name, layer) -> {
            List<Boolean> kept = rankPattern == null ? null : rankPattern.get(name + ".lora_E");
            ranks.put(name, kept == null || kept.size() != layer.rank()
                    ? layer.rank() : (int) kept.stream().filter(Boolean::booleanValue).count());
        });
        return ranks;
    }

    RankAllocator allocator() {
        return allocator;
    }

    List<String> savedTargetModules() {
        return savedTargets;
    }

    boolean fanInFanOut() {
        return layers.fanInFanOut();
    }

    /**
     * PEFT's {@code AdaLoraModel.forward}: {@code orth_reg_weight · mean over every A and B of
     * ‖AAᵀ − I‖_F} (resp. {@code ‖BᵀB − I‖_F}), every array in {@code scope}; none at {@code orth_reg_weight: 0}.
     * The trainer adds it only under objectives whose loss PEFT's forward would see
     * ({@link io.finetune4j.api.objective.Objective#addsMethodRegularization()}).
     */
    @Override
    public Optional<NDArray> regularizationLoss(NDManager scope) {
        if (layers.layers().isEmpty() || config.orthRegWeight() == 0) {
            return Optional.empty();
        }
        NDArray sum = scope.zeros(new Shape());
        int count = 0;
        for (SvdLinear layer : layers.layers().values()) {
            count += 2;
            int r = layer.rank();
            if (r == 0) {
                continue;   // an empty covariance: ‖[] − I₀‖ = 0, still counted as PEFT does
            }
            // Transposes are made in the adapter's manager; attach them to the step before leading with them.
            NDArray aT = layer.loraA().transpose();                      // [in, r]
            aT.attach(scope);
            NDArray covA = aT.transpose().matMul(aT);                    // [r, r] = A·Aᵀ
            NDArray bT = layer.loraB().transpose();                      // [r, out]
            bT.attach(scope);
            NDArray covB = bT.matMul(layer.loraB());                     // [r, r] = Bᵀ·B
            NDArray identity = scope.eye(r);
            sum = sum.add(frobenius(covA.sub(identity))).add(frobenius(covB.sub(identity)));
        }
        NDArray mean = sum.div(scope.create((float) count));
        return Optional.of(mean.mul(scope.create((float) config.orthRegWeight())));
    }

    private static NDArray frobenius(NDArray matrix) {
        return matrix.square().sum().sqrt();
    }

    /** Copies the adapter gradients for {@link #afterStep}: the optimizer clears them before it runs. */
    @Override
    public void afterBackward(StepInfo step) {
        int globalStep = step.step() - 1;
        int total = requireTotalStep();
        releaseGradients();
        if (globalStep >= total - config.tfinal()) {
            return;     // PEFT updates the importance only before the final phase
        }
        gradientCopies = manager.newSubManager();
        gradients = new ArrayList<>();
        for (RankAllocator.Triplet triplet : allocator.triplets()) {
            NDArray[] copies = new NDArray[3];
            NDArray[] parameters = triplet.parameters();
            for (int k = 0; k < 3; k++) {
                try (NDArray gradient = parameters[k].getGradient()) {
                    copies[k] = gradientCopies.create(gradient.toFloatArray(), gradient.getShape());
                }
            }
            gradients.add(copies);
        }
    }

    /**
     * PEFT's {@code AdaLoraModel.update_and_allocate(step − 1)}: before {@code total_step − tfinal} update the
     * importance and mask to the scheduled budget every {@code deltaT} steps; at {@code total_step − tfinal}
     * mask to the target budget once more (without an update) and forget the importance; afterwards keep
     * re-applying that final pattern, so E stays masked while the other entries train.
     */
    @Override
    public void afterStep(StepInfo step) {
        int globalStep = step.step() - 1;
        int total = requireTotalStep();
        if (!warnedTotal && step.totalSteps() != total) {
            LOG.warn("adalora: total_step is {} but the run has {} optimizer steps; the rank budget schedule follows"
                    + " total_step", total, step.totalSteps());
            warnedTotal = true;
        }
        int finalStart = total - config.tfinal();
        if (globalStep < finalStart) {
            if (gradients == null) {
                throw new IllegalStateException("adalora: afterStep(" + step.step() + ") without afterBackward");
            }
            allocator.updateImportance(gradients);
            RankAllocator.Budget budget = allocator.budgetSchedule(globalStep);
            if (budget.mask()) {
                rankPattern = allocator.maskToBudget(budget.budget());
            }
        } else if (globalStep == finalStart) {
            if (allocator.hasImportance()) {
                rankPattern = allocator.maskToBudget(allocator.budgetSchedule(globalStep).budget());
            } else {
                LOG.warn("adalora: no importance scores before the final phase (step {}); ranks are not pruned", step.step());
            }
            allocator.resetImportance();
        } else if (rankPattern != null) {
            allocator.applyPattern(rankPattern);
        }
        releaseGradients();
        if (step.step() == step.totalSteps()) {
            Map<String, Integer> ranks = ranks();
            LOG.info("adalora: final ranks ({} of {} triplets kept, target {}): {}",
                    ranks.values().stream().mapToInt(Integer::intValue).sum(), allocator.initBudget(),
                    allocator.targetBudget(), ranks);
        }
    }

    private int requireTotalStep() {
        Integer total = config.totalStep();
        if (total == null || total <= 0) {
            throw new ConfigException("total_step: required: AdaLoRA's rank budget schedule needs the run's total"
                    + " number of optimizer steps; supply a value > 0, was " + total);
        }
        return total;
    }

    private void releaseGradients() {
        if (gradientCopies != null) {
            gradientCopies.close();
            gradientCopies = null;
        }
        gradients = null;
    }

    @Override
    public void saveAdapter(Path dir, String baseModelNameOrPath) {
        layers.requireLoaded("save an adapter");
        AdaLoraAdapterFiles.write(dir, this, baseModelNameOrPath);
    }

    @Override
    public void loadAdapter(Path dir) {
        layers.requireLoaded("load an adapter");
        Map<String, List<Boolean>> loaded = AdaLoraAdapterFiles.read(dir, this);
        if (!loaded.isEmpty()) {
            rankPattern = new LinkedHashMap<>(loaded);
        }
    }

    @Override
    public boolean canMerge() {
        return true;
    }

    /**
     * PEFT's {@code SVDLinear.merge} + unload: {@code W += transpose(B·(A ⊙ E), fan_in_fan_out) · scaling /
     * (ranknum + 1e-5)} in place in the base weight (stored layout), then every wrapper is replaced by its
     * base and the adapter arrays are freed.
     */
    @Override
    public void mergeAndUnload() {
        layers.requireLoaded("merge");
        layers.mergeEach(layer -> layer.weight().set(merged(layer)));
        trainable.values().forEach(parameter -> parameter.setRequiresGradient(false));
        releaseGradients();
        allocator.close();
        trainable.clear();
        layers.close();
    }

    /** {@code W + B·(A ⊙ E)·factor} in double precision, in the stored layout. */
    static float[] merged(SvdLinear layer) {
        int in = layer.inFeatures();
        int out = layer.outFeatures();
        int r = layer.rank();
        float[] a = layer.loraA().toFloatArray();
        float[] e = layer.loraE().toFloatArray();
        float[] b = layer.loraB().toFloatArray();
        float[] w = layer.weight().toFloatArray();
        double factor = SvdLinear.factor(layer.scaling(), layer.ranknum());
        float[] merged = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double delta = 0;
                for (int k = 0; k < r; k++) {
                    delta += (double) b[o * r + k] * a[k * in + i] * e[k];
                }
                int at = layer.transposed() ? i * out + o : o * in + i;
                merged[at] = (float) (w[at] + factor * delta);
            }
        }
        return merged;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "AdaLoraMethod[%d layers, %d trainable]", layers.layers().size(), trainableParameterCount());
    }
}
