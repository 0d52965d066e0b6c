package io.finetune4j.alignment.preference;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.data.Example;
import io.finetune4j.api.data.Source;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.Linear;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.objective.ObjectiveContext;
import io.finetune4j.runtime.generate.TokenScorer;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.service.CheckpointModelSource;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * A real byte-level tokenizer with Llama-style BOS/EOS and a tiny random Llama (hidden 8) over it, plus
 * independent helpers the preference tests compare against: completion log-probs summed from
 * {@link TokenScorer} one sequence at a time, in double precision.
 */
public final class PreferenceTestModel implements AutoCloseable {
    public static final List<String> SPECIALS = List.of("<s>", "</s>", "<pad>");

    public final Path dir;
    public final HfTokenizer tokenizer;
    public final CausalLM model;

    public PreferenceTestModel(Path dir, long seed) {
        this(dir, seed, "<pad>");
    }

    /** With {@code pad} as the pad token: {@code "</s>"} makes pad == EOS, as TRL sets when a tokenizer has none. */
    public PreferenceTestModel(Path dir, long seed, String pad) {
        this.dir = dir;
        TokenizerFiles.writeByteLevel(dir, SPECIALS, List.of(), "<s>", "</s>", pad);
        tokenizer = HfTokenizer.load(dir);
        model = ModelFactory.random(ModelFactory.llamaConfig(tokenizer.vocabSize(), 8, 1, 2, 2, 16, 64),
                tokenizer, dir, seed, Device.cpu());
    }

    public long id(String token) {
        return tokenizer.encode(token, false)[0];
    }

    public static Dataset data(String name, String[]... rows) {
        List<Example> examples = new ArrayList<>();
        for (int i = 0; i < rows.length; i++) {
            examples.add(new Example.Preference(rows[i][0], rows[i][1], rows[i][2], new Source(name, i + 1)));
        }
        return new Dataset(name, examples);
    }

    public ObjectiveContext context(int maxLength, Dataset... data) {
        return new Context(model, List.of(data), maxLength, 3, model.manager());
    }

    /** Σ log p over the target tokens of {@code ids}, scored alone (no batch, no padding) with TokenScorer. */
    public static double completionLogProb(CausalLM model, long[] ids, boolean[] targets, boolean average) {
        double[] logProbs = TokenScorer.logProbs(model, ids);
        double sum = 0;
        int count = 0;
        for (int i = 1; i < ids.length; i++) {
            if (targets[i]) {
                sum += logProbs[i];
                count++;
            }
        }
        return average ? sum / count : sum;
    }

    public static double completionLogProb(CausalLM model, io.finetune4j.runtime.data.TokenizedExample example,
                                           boolean average) {
        return completionLogProb(model, example.ids(), example.targets(), average);
    }

    /**
     * Wraps every linear layer with a trainable low-rank-free "adapter" {@code y = base(x) + x·delta} that
     * turns off inside {@code disableAdapters()}, like a LoRA, written here because plugins never depend on
     * each other. Returns the adapter parameters (already requiring gradients), non-zero so the adapted model
     * differs from its base from the start.
     */
    public Map<String, NDArray> addShiftAdapters(long seed) {
        Map<String, NDArray> parameters = new LinkedHashMap<>();
        Random random = new Random(seed);
        for (Linear base : new ArrayList<>(model.linears().values())) {
            float[] values = new float[base.inFeatures() * base.outFeatures()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (random.nextGaussian() * 0.2);
            }
            NDArray delta = model.manager().create(values, new Shape(base.inFeatures(), base.outFeatures()));
            delta.setRequiresGradient(true);
            parameters.put(base.name() + ".delta", delta);
            model.replaceLinear(base.name(), new ShiftLinear(base, delta, model));
        }
        return parameters;
    }

    /**
     * Wraps every linear layer so that its output is halved in training-mode forwards only: a deterministic
     * stand-in for dropout (model or adapter), which also acts only when {@code training} is true.
     */
    public void addTrainingOnlyDropout() {
        for (Linear base : new ArrayList<>(model.linears().values())) {
            model.replaceLinear(base.name(), new TrainingOnlyLinear(base));
        }
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }

    record Context(CausalLM policy, List<Dataset> trainData, int maxLength, long seed, NDManager manager)
            implements ObjectiveContext {
        @Override
        public ModelSource models() {
            return CheckpointModelSource.INSTANCE;
        }
    }

    private record TrainingOnlyLinear(Linear wrapped) implements Linear {
        @Override public String name() { return wrapped.name(); }
        @Override public int inFeatures() { return wrapped.inFeatures(); }
        @Override public int outFeatures() { return wrapped.outFeatures(); }
        @Override public NDArray weight() { return wrapped.weight(); }
        @Override public Optional<NDArray> bias() { return wrapped.bias(); }
        @Override public Linear base() { return wrapped; }

        @Override
        public NDArray forward(NDArray x, boolean training) {
            NDArray y = wrapped.forward(x, training);
            return training ? y.mul(y.getManager().full(new Shape(), 0.5f)) : y;
        }
    }

    private record ShiftLinear(Linear wrapped, NDArray delta, CausalLM model) implements Linear {
        @Override public String name() { return wrapped.name(); }
        @Override public int inFeatures() { return wrapped.inFeatures(); }
        @Override public int outFeatures() { return wrapped.outFeatures(); }
        @Override public NDArray weight() { return wrapped.weight(); }
        @Override public Optional<NDArray> bias() { return wrapped.bias(); }
        @Override public Linear base() { return wrapped; }

        @Override
        public NDArray forward(NDArray x, boolean training) {
            NDArray y = wrapped.forward(x, training);
            return model.adaptersEnabled() ? y.add(x.matMul(delta)) : y;
        }
    }
}
