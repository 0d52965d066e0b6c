package io.finetune4j.runner.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.method.Method;
import io.finetune4j.api.method.MethodProvider;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.Main;
import io.finetune4j.runner.config.ConfigBinder;
import io.finetune4j.runner.config.PluginCalls;
import io.finetune4j.runner.config.PluginChoice;
import io.finetune4j.runner.model.RunnerMethodContext;
import io.finetune4j.runner.plugin.LoadedPlugins;
import io.finetune4j.runner.plugin.PluginLoader;
import io.finetune4j.runner.testing.TinyProject;
import io.finetune4j.runtime.generate.TokenScorer;
import io.finetune4j.runtime.io.SafetensorsReader;
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.model.ModelLoader;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --adapter NAME=DIR} (repeated), {@code --active}, {@code --combine}, {@code --combination} and
 * {@code --no-adapter} on {@code ft4j score}, {@code generate} and {@code eval}. Several adapters must give
 * exactly what each adapter alone gives; combinations are checked against merged weights computed here in
 * double precision from the adapter files, scored with {@link TokenScorer}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiAdapterCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String IDS = "1,5,9,3,14,2,7";
    private static final long[] IDS_ARRAY = {1, 5, 9, 3, 14, 2, 7};
    private static final String PREFIX = "base_model.model.";

    @TempDir
    static Path temp;

    private TinyProject project;
    private Path modelDir;
    private Path dirA;
    private Path dirB;
    private Path dirC;

    private record Result(int code, String out, String err) {}

    private static Result ft4j(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty()).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    void saveModelAndAdapters() {
        project = new TinyProject(temp.resolve("project"));
        modelDir = temp.resolve("model");
        Path tokenizerDir = project.dir().resolve("tok");
        try (HfTokenizer tokenizer = HfTokenizer.load(tokenizerDir);
             CausalLM model = ModelFactory.random(ModelFactory.llamaConfig(TinyProject.VOCAB, 16, 2, 2, 1, 32, 64),
                     tokenizer, tokenizerDir, 5, Device.cpu())) {
            ModelLoader.save(model, modelDir);
        }
        // a: q, v (r 2, scaling 2); b: v and down_proj, which a does not adapt (r 2, scaling 0.5); c: q (r 3)
        dirA = saveAdapter("a", 2, 4.0, List.of("q_proj", "v_proj"), 11);
        dirB = saveAdapter("b", 2, 1.0, List.of("v_proj", "down_proj"), 12);
        dirC = saveAdapter("c", 3, 6.0, List.of("q_proj"), 13);
    }

    /** A LoRA adapter with random, non-zero B made by the lora plugin on the saved model. */
    private Path saveAdapter(String name, int r, double alpha, List<String> targets, long seed) {
        Path dir = temp.resolve(name);
        try (CausalLM model = ModelLoader.load(modelDir, Device.cpu());
             LoadedPlugins plugins = PluginLoader.load(getClass().getClassLoader(), null)) {
            MethodProvider<?> lora = plugins.methods().get("lora");
            ObjectNode settings = new ConfigBinder().mapper().createObjectNode().put("r", r).put("lora_alpha", alpha);
            targets.forEach(settings.putArray("target_modules")::add);
            Method method = PluginCalls.createMethod(new PluginChoice<>("lora", lora, bind(lora, settings)),
                    new RunnerMethodContext(model, seed));
            Random random = new Random(seed);
            for (Map.Entry<String, NDArray> parameter : method.trainableParameters().entrySet()) {
                if (parameter.getKey().contains("lora_B")) {
                    float[] values = new float[Math.toIntExact(parameter.getValue().size())];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) (random.nextGaussian() * 0.5);
                    }
                    parameter.getValue().set(values);
                }
            }
            method.saveAdapter(dir, modelDir.toString());
        }
        return dir;
    }

    private static <C extends Record> Record bind(MethodProvider<C> provider, ObjectNode values) {
        ConfigProblems problems = ConfigProblems.at("lora");
        Record config = new ConfigBinder().bind(provider.defaults(), provider.configType(), values, List.of(), problems)
                .orElseThrow();
        problems.throwIfAny();
        return config;
    }

    private String score(String... adapterArgs) {
        String[] args = new String[adapterArgs.length + 6];
        System.arraycopy(new String[] {"score", "--model", modelDir.toString(), "--ids", IDS, "--json"}, 0, args, 0, 6);
        System.arraycopy(adapterArgs, 0, args, 6, adapterArgs.length);
        Result result = ft4j(args);
        assertThat(result.code()).as("stderr: %s", result.err()).isZero();
        return result.out();
    }

    private static double[] logProbs(String json) throws Exception {
        JsonNode logprobs = JSON.readTree(json).get("logprobs");
        double[] values = new double[logprobs.size()];
        for (int i = 1; i < values.length; i++) {
            values[i] = logprobs.get(i).asDouble();
        }
        return values;
    }

    @Test
    void eachActiveAdapterScoresExactlyAsThatAdapterAlone() {
        String a = "a=" + dirA;
        String b = "b=" + dirB;

        assertThat(score("--adapter", a, "--adapter", b)).isEqualTo(score("--adapter", dirA.toString()));
        assertThat(score("--adapter", a, "--adapter", b, "--active", "b")).isEqualTo(score("--adapter", dirB.toString()));
        assertThat(score("--adapter", dirB.toString())).isNotEqualTo(score("--adapter", dirA.toString()));
    }

    @Test
    void noAdapterScoresExactlyAsTheBareBase() {
        String base = score();

        assertThat(score("--no-adapter")).isEqualTo(base);
        assertThat(score("--adapter", "a=" + dirA, "--adapter", "b=" + dirB, "--no-adapter")).isEqualTo(base);
        assertThat(score("--adapter", dirA.toString())).isNotEqualTo(base);
    }

    @Test
    void linearCombinationScoresAsPeftsSeparatelySummedFactors() throws Exception {
        double[] actual = logProbs(score("--adapter", "a=" + dirA, "--adapter", "b=" + dirB,
                "--combine", "a=0.7,b=-0.4"));

        Map<String, double[]> deltas = new LinkedHashMap<>();
        Map<String, Factors> a = factors(dirA);
        Map<String, Factors> b = factors(dirB);
        for (String module : union(a, b)) {
            Factors fa = a.get(module);
            Factors fb = b.get(module);
            Factors any = fa != null ? fa : fb;
            int r = 2;
            double[] sumA = new double[r * any.in];
            double[] sumB = new double[any.out * r];
            addLinear(sumA, sumB, fa, 0.7 * 2.0);
            addLinear(sumA, sumB, fb, -0.4 * 0.5);
            deltas.put(module, product(sumB, sumA, any.out, r, any.in));
        }
        assertClose(actual, mergedLogProbs(deltas));
    }

    @Test
    void catCombinationScoresAsTheWeightedSumOfUpdates() throws Exception {
        double[] actual = logProbs(score("--adapter", "a=" + dirA, "--adapter", "c=" + dirC,
                "--combine", "a=0.5,c=1.5", "--combination", "cat"));

        Map<String, double[]> deltas = new LinkedHashMap<>();
        Map<String, Factors> a = factors(dirA);
        Map<String, Factors> c = factors(dirC);
        for (String module : union(a, c)) {
            double[] sum = null;
            for (Map.Entry<Factors, Double> term : Map.of(a.getOrDefault(module, Factors.NONE), 0.5 * 2.0,
                    c.getOrDefault(module, Factors.NONE), 1.5 * 2.0).entrySet()) {
                Factors f = term.getKey();
                if (f == Factors.NONE) {
                    continue;
                }
                double[] delta = product(f.b, f.a, f.out, f.r, f.in);
                if (sum == null) {
                    sum = new double[delta.length];
                }
                for (int i = 0; i < delta.length; i++) {
                    sum[i] += term.getValue() * delta[i];
                }
            }
            deltas.put(module, sum);
        }
        assertClose(actual, mergedLogProbs(deltas));
    }

    @Test
    void pruningCombinationsAreReachableWithTheirSettings() throws Exception {
        String linear = score("--adapter", "a=" + dirA, "--adapter", "b=" + dirB, "--combine", "a=0.7,b=0.3");
        // Keeping every entry, magnitude pruning is the linear combination (PEFT v0.20 merge_utils).
        String keepAll = score("--adapter", "a=" + dirA, "--adapter", "b=" + dirB, "--combine", "a=0.7,b=0.3",
                "--combination", "magnitude_prune", "--density", "1.0");
        String ties = score("--adapter", "a=" + dirA, "--adapter", "b=" + dirB, "--combine", "a=0.7,b=0.3",
                "--combination", "ties", "--density", "0.3", "--majority-sign-method", "frequency");

        assertClose(logProbs(keepAll), logProbs(linear));
        double[] pruned = logProbs(ties);
        double[] plain = logProbs(linear);
        double largest = 0;
        for (int i = 1; i < plain.length; i++) {
            largest = Math.max(largest, Math.abs(pruned[i] - plain[i]));
        }
        assertThat(largest).as("TIES at density 0.3 changes the combined adapter").isGreaterThan(1e-4);
        assertError("--density: only applies with --combine NAME=W,NAME=W and a pruning --combination",
                "--adapter", "a=" + dirA, "--density", "0.5");
        assertError("--density: must be in [0, 1], was 2.0",
                "--adapter", "a=" + dirA, "--adapter", "b=" + dirB, "--combine", "a=1,b=1", "--combination", "ties",
                "--density", "2");
        assertError("--majority-sign-method: must be one of [total, frequency], was 'most'",
                "--adapter", "a=" + dirA, "--adapter", "b=" + dirB, "--combine", "a=1,b=1", "--combination", "ties",
                "--majority-sign-method", "most");
    }

    @Test
    void generateAndEvalTakeTheSameFlags() throws Exception {
        Result alone = ft4j("generate", "--model", modelDir.toString(), "--prompt", "1+1=", "--max-new-tokens", "6",
                "--json", "--adapter", dirB.toString());
        Result active = ft4j("generate", "--model", modelDir.toString(), "--prompt", "1+1=", "--max-new-tokens", "6",
                "--json", "--adapter", "a=" + dirA, "--adapter", "b=" + dirB, "--active", "b");
        assertThat(active.code()).as("stderr: %s", active.err()).isZero();
        assertThat(active.out()).isEqualTo(alone.out());

        Path heldout = project.dir().resolve("data/heldout.jsonl");
        Result evalAlone = ft4j("eval", "--model", modelDir.toString(), "--evaluator", "perplexity", "--data",
                heldout.toString(), "--json", "--adapter", dirA.toString());
        Result evalCombined = ft4j("eval", "--model", modelDir.toString(), "--evaluator", "perplexity", "--data",
                heldout.toString(), "--json", "--adapter", "a=" + dirA, "--combine", "a=1");
        assertThat(evalCombined.code()).as("stderr: %s", evalCombined.err()).isZero();
        // One adapter at weight 1 is linear: sqrt(s)·A and sqrt(s)·B, the same update s·B·A.
        assertThat(JSON.readTree(evalCombined.out()).at("/metrics/perplexity/value").asDouble())
                .isCloseTo(JSON.readTree(evalAlone.out()).at("/metrics/perplexity/value").asDouble(), within(1e-4));
    }

    @Test
    void userErrorsNameTheFlag() throws Exception {
        assertError("--active: no adapter named 'x'; given: [a, b]",
                "--adapter", "a=" + dirA, "--adapter", "b=" + dirB, "--active", "x");
        assertError("--combination: only applies with --combine NAME=W,NAME=W",
                "--adapter", "a=" + dirA, "--combination", "cat");
        assertError("--adapter: two adapters are named 'default'; give each its own name: --adapter NAME=DIR",
                "--adapter", dirA.toString(), "--adapter", dirB.toString());
        assertError("--combine: 'a' is not NAME=WEIGHT (e.g. --combine a=0.7,b=0.3)",
                "--adapter", "a=" + dirA, "--combine", "a");
        assertError("--no-adapter: runs the bare base model; it excludes --active",
                "--adapter", "a=" + dirA, "--active", "a", "--no-adapter");
        assertError("combination 'linear' needs adapters of one rank, but [a, c] have ranks [2, 3]; use 'cat' (or 'svd')",
                "--adapter", "a=" + dirA, "--adapter", "c=" + dirC, "--combine", "a=1,c=1");

        Path ia3 = temp.resolve("ia3");
        Files.createDirectories(ia3);
        Files.writeString(ia3.resolve("adapter_config.json"), "{\"peft_type\": \"IA3\"}");
        Result result = ft4j("score", "--model", modelDir.toString(), "--ids", IDS, "--adapter", "a=" + dirA,
                "--adapter", "i=" + ia3);
        assertThat(result.code()).isNotZero();
        assertThat(result.err()).contains("--adapter i=" + ia3 + ": peft_type 'IA3' (method ia3): several adapters "
                + "on one model (--adapter NAME=DIR more than once, or --combine) work for LoRA adapters (peft_type "
                + "LORA) only; give this adapter alone");
    }

    private void assertError(String message, String... adapterArgs) {
        String[] args = new String[adapterArgs.length + 5];
        System.arraycopy(new String[] {"score", "--model", modelDir.toString(), "--ids", IDS}, 0, args, 0, 5);
        System.arraycopy(adapterArgs, 0, args, 5, adapterArgs.length);
        Result result = ft4j(args);
        assertThat(result.code()).isNotZero();
        assertThat(result.err()).contains(message);
    }

    // ---- independent computation from the adapter files ----

    /** One module's factors: {@code a [r, in]}, {@code b [out, r]}, row-major. */
    private record Factors(double[] a, double[] b, int r, int in, int out) {
        static final Factors NONE = new Factors(new double[0], new double[0], 0, 0, 0);
    }

    private static Map<String, Factors> factors(Path dir) {
        Map<String, Factors> factors = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"));
             NDManager manager = NDManager.newBaseManager()) {
            for (SafetensorsReader.TensorInfo info : reader.tensors()) {
                String name = info.name();
                if (!name.endsWith(".lora_A.weight")) {
                    continue;
                }
                String module = name.substring(PREFIX.length(), name.length() - ".lora_A.weight".length());
                NDArray a = reader.load(name, manager);
                NDArray b = reader.load(PREFIX + module + ".lora_B.weight", manager);
                factors.put(module, new Factors(toDouble(a.toFloatArray()), toDouble(b.toFloatArray()),
                        (int) a.getShape().get(0), (int) a.getShape().get(1), (int) b.getShape().get(0)));
            }
        }
        return factors;
    }

    private static List<String> union(Map<String, Factors> first, Map<String, Factors> second) {
        java.util.LinkedHashSet<String> modules = new java.util.LinkedHashSet<>(first.keySet());
        modules.addAll(second.keySet());
        return List.copyOf(modules);
    }

    /** PEFT's linear combination: sign(ws)·sqrt(|ws|) on A, sqrt(|ws|) on B. */
    private static void addLinear(double[] sumA, double[] sumB, Factors factors, double weightTimesScaling) {
        if (factors == null) {
            return;
        }
        double root = Math.sqrt(Math.abs(weightTimesScaling));
        for (int i = 0; i < sumA.length; i++) {
            sumA[i] += Math.signum(weightTimesScaling) * root * factors.a[i];
        }
        for (int i = 0; i < sumB.length; i++) {
            sumB[i] += root * factors.b[i];
        }
    }

    private static double[] product(double[] b, double[] a, int out, int r, int in) {
        double[] result = new double[out * in];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                double value = 0;
                for (int k = 0; k < r; k++) {
                    value += b[o * r + k] * a[k * in + i];
                }
                result[o * in + i] = value;
            }
        }
        return result;
    }

    private static double[] toDouble(float[] values) {
        double[] result = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = values[i];
        }
        return result;
    }

    /** Log-probs of {@link #IDS} under the saved base with {@code W + delta} per module (Llama: {@code [out, in]}). */
    private double[] mergedLogProbs(Map<String, double[]> deltas) {
        try (CausalLM model = ModelLoader.load(modelDir, Device.cpu())) {
            deltas.forEach((module, delta) -> {
                NDArray weight = model.parameters().get(module + ".weight");
                float[] values = weight.toFloatArray();
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (values[i] + delta[i]);
                }
                weight.set(values);
            });
            return TokenScorer.logProbs(model, IDS_ARRAY);
        }
    }

    private static void assertClose(double[] actual, double[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 1; i < actual.length; i++) {
            assertThat(actual[i]).as("token %d", i).isCloseTo(expected[i], within(1e-4));
        }
    }
}
