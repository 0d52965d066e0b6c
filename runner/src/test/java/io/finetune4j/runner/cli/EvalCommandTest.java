package io.finetune4j.runner.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
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
import io.finetune4j.runtime.model.ModelFactory;
import io.finetune4j.runtime.model.ModelLoader;
import io.finetune4j.runtime.tokenizer.HfTokenizer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ft4j eval} on a tiny random checkpoint, with and without a LoRA adapter whose B is not zero. The
 * expected perplexities are computed on the in-memory model with {@link TokenScorer}, one unpadded forward
 * per text, independently of the evaluator's batched scoring.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvalCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HELDOUT = List.of("1+1=2", "two plus two", "3+1=4", "abc");

    @TempDir
    static Path temp;

    private TinyProject project;
    private Path modelDir;
    private Path adapterDir;
    private double basePerplexity;
    private double adapterPerplexity;

    private record Result(int code, String out, String err) {}

    private static Result ft4j(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = new Main(new PrintWriter(out, true), new PrintWriter(err, true), Optional.empty()).execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @BeforeAll
    void saveModelAndAdapter() {
        project = new TinyProject(temp.resolve("project"));
        modelDir = temp.resolve("model");
        adapterDir = temp.resolve("adapter");
        Path tokenizerDir = project.dir().resolve("tok");
        try (HfTokenizer tokenizer = HfTokenizer.load(tokenizerDir);
             CausalLM model = ModelFactory.random(ModelFactory.llamaConfig(TinyProject.VOCAB, 16, 2, 2, 1, 32, 64),
                     tokenizer, tokenizerDir, 5, Device.cpu());
             LoadedPlugins plugins = PluginLoader.load(getClass().getClassLoader(), null)) {
            ModelLoader.save(model, modelDir);
            basePerplexity = perplexity(model, HELDOUT);

            MethodProvider<?> lora = plugins.methods().get("lora");
            ObjectNode settings = new ConfigBinder().mapper().createObjectNode().put("r", 2).put("lora_alpha", 4.0);
            settings.putArray("target_modules").add("q_proj").add("v_proj");
            Method method = PluginCalls.createMethod(new PluginChoice<>("lora", lora, bind(lora, settings)),
                    new RunnerMethodContext(model, 0));
            // LoRA starts with B = 0 (the adapter changes nothing); give B values so it does.
            Random random = new Random(11);
            int changed = 0;
            for (Map.Entry<String, NDArray> parameter : method.trainableParameters().entrySet()) {
                if (parameter.getKey().contains("lora_B")) {
                    float[] values = new float[Math.toIntExact(parameter.getValue().size())];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) (random.nextGaussian() * 0.5);
                    }
                    parameter.getValue().set(values);
                    changed++;
                }
            }
            assertThat(changed).isEqualTo(4); // q_proj and v_proj of 2 layers
            adapterPerplexity = perplexity(model, HELDOUT);
            method.saveAdapter(adapterDir, modelDir.toString());
        }
    }

    private static <C extends Record> Record bind(MethodProvider<C> provider, ObjectNode values) {
        ConfigProblems problems = ConfigProblems.at("lora");
        Record config = new ConfigBinder().bind(provider.defaults(), provider.configType(), values, List.of(), problems)
                .orElseThrow();
        problems.throwIfAny();
        return config;
    }

    /** exp(Σ -log p / Σ scored tokens) over the texts, each scored alone from its second token. */
    private static double perplexity(CausalLM model, List<String> texts) {
        double nll = 0;
        long tokens = 0;
        for (String text : texts) {
            double[] logProbs = TokenScorer.logProbs(model, model.tokenizer().encode(text, true));
            for (int i = 1; i < logProbs.length; i++) {
                nll -= logProbs[i];
                tokens++;
            }
        }
        return Math.exp(nll / tokens);
    }

    private Path heldout() {
        return project.dir().resolve("data/heldout.jsonl");
    }

    private static JsonNode json(Result result) throws Exception {
        assertThat(result.code()).as("stderr: %s", result.err()).isZero();
        return JSON.readTree(result.out());
    }

    @Test
    void perplexityIsExpOfTheMeanNllTokenScorerComputes() throws Exception {
        JsonNode line = json(ft4j("eval", "--model", modelDir.toString(), "--evaluator", "perplexity",
                "--data", heldout().toString(), "--json", "--device", "cpu"));

        JsonNode perplexity = line.at("/metrics/perplexity");
        assertThat(perplexity.get("value").asDouble()).isCloseTo(basePerplexity, within(basePerplexity * 1e-4));
        assertThat(perplexity.get("n").asInt()).isEqualTo(HELDOUT.size());
        assertThat(perplexity.get("ci_low").asDouble()).isLessThanOrEqualTo(perplexity.get("value").asDouble());
        assertThat(perplexity.get("ci_high").asDouble()).isGreaterThanOrEqualTo(perplexity.get("value").asDouble());
    }

    @Test
    void jsonHasExactlyTheDocumentedKeys() throws Exception {
        JsonNode line = json(ft4j("eval", "--model", modelDir.toString(), "--evaluator", "perplexity",
                "--data", heldout().toString(), "--json"));

        assertThat(line.fieldNames()).toIterable().containsExactly("evaluator", "data", "metrics");
        assertThat(line.get("evaluator").asText()).isEqualTo("perplexity");
        assertThat(line.get("data").asText()).isEqualTo(heldout().toString());
        assertThat(line.get("metrics").fieldNames()).toIterable().containsExactly("perplexity");
        assertThat(line.at("/metrics/perplexity").fieldNames()).toIterable()
                .containsExactly("value", "ci_low", "ci_high", "n");
    }

    @Test
    void printsOneLineLikeAPipelineRun() {
        Result result = ft4j("eval", "--model", modelDir.toString(), "--evaluator", "perplexity",
                "--data", heldout().toString());

        assertThat(result.code()).as("stderr: %s", result.err()).isZero();
        assertThat(result.out()).matches("perplexity \\[heldout\\.jsonl\\]: [0-9.]+ \\[[0-9.]+, [0-9.]+\\]\n");
    }

    @Test
    void anAdapterWithNonZeroBChangesThePerplexityAsTheLiveAdapterDoes() throws Exception {
        JsonNode line = json(ft4j("eval", "--model", modelDir.toString(), "--adapter", adapterDir.toString(),
                "--evaluator", "perplexity", "--data", heldout().toString(), "--json"));

        double value = line.at("/metrics/perplexity/value").asDouble();
        assertThat(value).isCloseTo(adapterPerplexity, within(adapterPerplexity * 1e-4));
        assertThat(Math.abs(value - basePerplexity)).isGreaterThan(basePerplexity * 1e-3);
    }

    @Test
    void setBindsOntoTheEvaluatorsDefaultsAndRepeatedPairsEachPrintALine() throws Exception {
        Result result = ft4j("eval", "--model", modelDir.toString(), "--json", "--set", "batch_size=1",
                "--evaluator", "perplexity", "--data", heldout().toString(),
                "--evaluator", "perplexity", "--data", project.dir().resolve("data/train.jsonl").toString());

        assertThat(result.code()).as("stderr: %s", result.err()).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String text : result.out().split("\n")) {
            lines.add(JSON.readTree(text));
        }
        assertThat(lines).hasSize(2);
        // One row per forward (no padding) gives the same perplexity as the default batches.
        assertThat(lines.get(0).at("/metrics/perplexity/value").asDouble())
                .isCloseTo(basePerplexity, within(basePerplexity * 1e-4));
        assertThat(lines.get(1).get("data").asText()).endsWith("train.jsonl");
        assertThat(lines.get(1).at("/metrics/perplexity/n").asInt()).isEqualTo(6);
    }

    @Test
    void unknownEvaluatorIsOneParagraphWithTheKnownIdsBeforeAnyModelLoads() {
        TreeSet<String> known;
        try (LoadedPlugins plugins = PluginLoader.load(getClass().getClassLoader(), null)) {
            known = new TreeSet<>(plugins.evaluators().keySet());
        }

        Result result = ft4j("eval", "--model", temp.resolve("nowhere").toString(), "--evaluator", "perplexty",
                "--data", heldout().toString());

        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("ft4j: --evaluator: unknown evaluator 'perplexty'; known: " + known
                + "; did you mean 'perplexity'?\n");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void unknownSetKeyNamesTheKey() {
        Result result = ft4j("eval", "--model", temp.resolve("nowhere").toString(), "--evaluator", "perplexity",
                "--data", heldout().toString(), "--set", "batch_sise=4");

        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).isEqualTo(
                "ft4j: --set batch_sise: unknown key; known: [batch_size]; did you mean 'batch_size'?\n");
    }

    @Test
    void rowsTheEvaluatorCannotJudgeAreRejectedBeforeAnyModelLoads() {
        Path preferences = project.write("data/prefs.jsonl", "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n");

        Result result = ft4j("eval", "--model", temp.resolve("nowhere").toString(), "--evaluator", "perplexity",
                "--data", preferences.toString());

        assertThat(result.code()).isEqualTo(2);
        assertThat(result.err()).isEqualTo(
                "ft4j: --data: prefs.jsonl:1: perplexity scores text or prompt/completion rows, found a Preference row\n");
    }
}
