package io.finetune4j.eval.preference;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.eval.EvalContext;
import io.finetune4j.api.model.AdapterScope;
import io.finetune4j.api.model.BlockHook;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.api.model.ForwardInput;
import io.finetune4j.api.model.ForwardOutput;
import io.finetune4j.api.model.HookPoint;
import io.finetune4j.api.model.Linear;
import io.finetune4j.api.model.ModelConfig;
import io.finetune4j.api.model.ModelSource;
import io.finetune4j.api.model.TextTokenizer;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.model.ModelLoader;
import io.finetune4j.runtime.reward.RewardHead;
import io.finetune4j.runtime.service.CheckpointModelSource;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import io.finetune4j.runtime.tokenizer.TokenizerFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Tiny random Llama models (hidden 8, one layer, byte-level tokenizer) for the preference evaluators'
 * tests, plus what the tests need around them: reward-stage directories written with {@link RewardHead#save},
 * a scaling adapter, and an evaluation context that resolves paths against a directory.
 */
public final class PreferenceFixtures implements AutoCloseable {
    private final Path tokenizerDir;
    private final HfTokenizer tokenizer;

    public PreferenceFixtures(Path dir) {
        this.tokenizerDir = dir.resolve("tokenizer");
        TokenizerFiles.writeByteLevel(tokenizerDir, List.of("<s>", "</s>"), List.of(), "<s>", "</s>", null);
        this.tokenizer = HfTokenizer.load(tokenizerDir);
    }

    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    public long eos() {
        return tokenizer.eosTokenIds()[0];
    }

    /** A random tiny Llama over the fixture's tokenizer. */
    public CausalLM model(long seed) {
        return model(seed, tokenizer.vocabSize(), 64);
    }

    public CausalLM model(long seed, int vocab, int maxPositions) {
        ModelConfig config = ModelFactory.llamaConfig(vocab, 8, 1, 2, 2, 16, maxPositions);
        return ModelFactory.random(config, tokenizer, tokenizerDir, seed, Device.cpu());
    }

    /** Saves a random model into {@code dir} (a checkpoint directory with the tokenizer files). */
    public Path checkpoint(Path dir, long seed) {
        try (CausalLM model = model(seed)) {
            ModelLoader.save(model, dir);
        }
        return dir;
    }

    /** A reward stage's output: the model in {@code dir/model}, a random {@code [1, 8]} head beside it. */
    public Path rewardStage(Path dir, long seed) {
        checkpoint(dir.resolve("model"), seed);
        SplittableRandom random = new SplittableRandom(seed);
        float[] weight = new float[8];
        for (int i = 0; i < weight.length; i++) {
            weight[i] = (float) random.nextGaussian();
        }
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            RewardHead.save(dir, manager.create(weight, new Shape(1, 8)), "llama", 0);
        }
        return dir;
    }

    /**
     * Wraps every v_proj and the LM head of {@code model} in a {@link ScaledLinear}: an adapter that visibly
     * changes the output (a random tiny model's logits are near zero until the head is scaled up).
     */
    public static CausalLM withAdapters(CausalLM model, float factor) {
        for (Map.Entry<String, Linear> entry : model.linears().entrySet()) {
            if (entry.getKey().endsWith("v_proj") || entry.getKey().equals("lm_head")) {
                model.replaceLinear(entry.getKey(), new ScaledLinear(entry.getValue(), factor, model));
            }
        }
        return model;
    }

    /** {@code prompt ids + completion ids + eos}: how the stages tokenize a preference sequence. */
    public long[] sequence(String prompt, String completion) {
        return concat(tokenizer.encode(prompt, true), tokenizer.encode(completion, false), new long[] {eos()});
    }

    public static long[] concat(long[]... parts) {
        int length = 0;
        for (long[] part : parts) {
            length += part.length;
        }
        long[] out = new long[length];
        int at = 0;
        for (long[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** An adapter-like wrapper: the base layer's output times {@code factor} while adapters are enabled. */
    public static final class ScaledLinear implements Linear {
        private final Linear base;
        private final float factor;
        private final CausalLM model;

        ScaledLinear(Linear base, float factor, CausalLM model) {
            this.base = base;
            this.factor = factor;
            this.model = model;
        }

        @Override public String name() { return base.name(); }

        @Override public int inFeatures() { return base.inFeatures(); }

        @Override public int outFeatures() { return base.outFeatures(); }

        @Override
        public NDArray forward(NDArray x, boolean training) {
            NDArray out = base.forward(x, training);
            return model.adaptersEnabled() ? out.mul(out.getManager().create(factor)) : out;
        }

        @Override public NDArray weight() { return base.weight(); }

        @Override public Optional<NDArray> bias() { return base.bias(); }

        @Override public Linear base() { return base; }
    }

    /** Records what an evaluator reports. */
    public static final class Progress implements ProgressListener {
        public final List<String> events = new ArrayList<>();
        public long advanced;

        @Override public void start(String task, long total) { events.add("start " + task + " " + total); }

        @Override public void advance(long steps, String message) { advanced += steps; }

        @Override public void finish() { events.add("finish"); }
    }

    /** An evaluation context whose paths resolve against {@code base}. */
    public record Context(CausalLM model, Dataset data, int maxLength, long seed, ProgressListener progress, Path base)
            implements EvalContext {
        @Override
        public ModelSource models() {
            return CheckpointModelSource.INSTANCE;
        }

        @Override
        public Path resolve(String path) {
            return base.resolve(path);
        }
    }

    /**
     * A model that always answers EOS at once (its EOS logit raised by 10⁴): empty generations. Everything
     * else is the wrapped model's.
     */
    public static final class EosModel implements CausalLM {
        private final CausalLM inner;

        public EosModel(CausalLM inner) {
            this.inner = inner;
        }

        @Override
        public ForwardOutput forward(ForwardInput input) {
            ForwardOutput out = inner.forward(input);
            if (out.logits() == null) {
                return out;
            }
            float[] boost = new float[(int) out.logits().getShape().getLastDimension()];
            boost[(int) inner.tokenizer().eosTokenIds()[0]] = 1e4f;
            NDArray raised = out.logits().add(out.logits().getManager().create(boost)); // [batch, n, vocab]
            return new ForwardOutput(raised, out.hiddenStates(), out.cache());
        }

        @Override public ModelConfig config() { return inner.config(); }

        @Override public TextTokenizer tokenizer() { return inner.tokenizer(); }

        @Override public NDManager manager() { return inner.manager(); }

        @Override public Device device() { return inner.device(); }

        @Override public Map<String, NDArray> parameters() { return inner.parameters(); }

        @Override public Map<String, Linear> linears() { return inner.linears(); }

        @Override public void replaceLinear(String name, Linear replacement) { inner.replaceLinear(name, replacement); }

        @Override public void addHook(int layer, HookPoint point, BlockHook hook) { inner.addHook(layer, point, hook); }

        @Override public boolean adaptersEnabled() { return inner.adaptersEnabled(); }

        @Override public AdapterScope disableAdapters() { return inner.disableAdapters(); }

        @Override public void close() { inner.close(); }
    }
}
