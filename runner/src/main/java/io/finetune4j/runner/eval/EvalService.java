package io.finetune4j.runner.eval;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.finetune4j.api.ConfigException;
import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.data.Dataset;
import io.finetune4j.api.eval.Evaluator;
import io.finetune4j.api.eval.EvaluatorProvider;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.console.JsonLine;
import io.finetune4j.runner.config.ConfigBinder;
import io.finetune4j.runner.config.Suggestions;
import io.finetune4j.runner.model.AdapterLoader;
import io.finetune4j.runner.model.ModelHandle;
import io.finetune4j.runner.model.ModelStore;
import io.finetune4j.runtime.data.JsonlDatasetReader;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code ft4j eval}: runs evaluators on a checkpoint (optionally with an adapter) without training. Every
 * evaluator id, {@code --set} key and data row is checked before the model loads, and all problems are
 * reported at once; the metrics get the same bootstrap intervals, with the same seeds, as a pipeline stage's
 * evaluators at the same position.
 */
public final class EvalService {
    private static final YAMLMapper YAML = new YAMLMapper();

    private final ModelStore models;
    private final AdapterLoader adapters;
    private final Map<String, EvaluatorProvider<?>> evaluators;
    private final ConfigBinder binder;
    private final EvaluationLoop loop;
    private final Console console;

    @Inject
    public EvalService(ModelStore models, AdapterLoader adapters, Map<String, EvaluatorProvider<?>> evaluators,
                       ConfigBinder binder, EvaluationLoop loop, Console console) {
        this.models = requireNonNull(models, "models is null");
        this.adapters = requireNonNull(adapters, "adapters is null");
        this.evaluators = requireNonNull(evaluators, "evaluators is null");
        this.binder = requireNonNull(binder, "binder is null");
        this.loop = requireNonNull(loop, "loop is null");
        this.console = requireNonNull(console, "console is null");
    }

    /**
     * What to evaluate.
     *
     * @param evaluatorIds one per data file: the i-th evaluator runs on the i-th file
     * @param settings {@code --set key=value}, each value read as a YAML scalar or flow list
     *     ({@code 4}, {@code true}, {@code [a, b]}), bound onto every evaluator's defaults
     * @param maxLength longest tokenized sequence the evaluators use
     * @param seed the evaluation seed and the seed of the bootstrap resamples
     */
    public record Request(Path model, AdapterLoader.Selection adapter, List<String> evaluatorIds, List<Path> data,
                          Map<String, String> settings, int maxLength, long seed, boolean json) {
        public Request {
            requireNonNull(model, "model is null");
            requireNonNull(adapter, "adapter is null");
            evaluatorIds = List.copyOf(evaluatorIds);
            data = List.copyOf(data);
            settings = new LinkedHashMap<>(settings);
        }
    }

    /**
     * Checks everything, loads the model, runs each evaluator and prints its metrics: one line per metric
     * ({@code perplexity [heldout.jsonl]: 3.22 [3.12, 3.34]}) or with {@code json} one object per evaluator
     * ({@code {"evaluator": id, "data": file, "metrics": {name: {"value", "ci_low", "ci_high", "n"}}}}).
     */
    public List<EvaluatorResult> evaluate(Request request) {
        List<EvaluationLoop.Planned> planned = plan(request);
        List<EvaluatorResult> results;
        try (ModelHandle handle = models.load(request.model(), "--model")) {
            CausalLM model = handle.model();
            adapters.load(model, request.adapter());
            // The index of each evaluator seeds its metrics as a stage's evaluator at that position, so a stage's
            // model evaluated here gets the intervals its metrics.json reports.
            results = MeasuredEvaluation.results(
                    loop.run(planned, model, request.maxLength(), request.seed(), Path::of));
        }
        print(results, request.json());
        return results;
    }

    /** Every evaluator created with its settings and every data file read and checked, or all problems at once. */
    private List<EvaluationLoop.Planned> plan(Request request) {
        ConfigProblems problems = ConfigProblems.at("");
        if (request.evaluatorIds().size() != request.data().size()) {
            problems.add("", "--evaluator and --data come in pairs (the i-th evaluator runs on the i-th file); "
                    + "got %d --evaluator and %d --data", request.evaluatorIds().size(), request.data().size());
        }
        if (request.maxLength() <= 0) {
            problems.add("--max-length", "must be > 0, was %d", request.maxLength());
        }
        problems.throwIfAny();
        ObjectNode values = settings(request.settings());
        boolean several = request.evaluatorIds().size() > 1;
        List<EvaluationLoop.Planned> planned = new ArrayList<>();
        for (int i = 0; i < request.evaluatorIds().size(); i++) {
            String id = request.evaluatorIds().get(i);
            Path file = request.data().get(i);
            Optional<Evaluator> evaluator = create(id, values, several ? "--evaluator " + id + " --set " : "--set ",
                    problems);
            Optional<Dataset> dataset = read(file, problems);
            if (evaluator.isPresent() && dataset.isPresent() && checkData(evaluator.get(), dataset.get(), problems)) {
                planned.add(new EvaluationLoop.Planned(i, id, file, dataset.get(), evaluator.get()));
            }
        }
        problems.throwIfAny();
        return planned;
    }

    private Optional<Evaluator> create(String id, ObjectNode values, String setPrefix, ConfigProblems problems) {
        EvaluatorProvider<?> provider = evaluators.get(id);
        if (provider == null) {
            Set<String> known = new TreeSet<>(evaluators.keySet());
            problems.add("--evaluator", "unknown evaluator '%s'; known: %s%s", id, known,
                    Suggestions.didYouMean(id, known));
            return Optional.empty();
        }
        // Bound at the root, then each problem prefixed: "--set batch_sise: unknown key; known: [...]".
        ConfigProblems local = ConfigProblems.at("");
        Optional<Evaluator> evaluator = bindAndCreate(provider, values, local);
        for (String message : local.messages()) {
            problems.add("", setPrefix + message);
        }
        return local.isEmpty() ? evaluator : Optional.empty();
    }

    private <C extends Record> Optional<Evaluator> bindAndCreate(EvaluatorProvider<C> provider, ObjectNode values,
                                                                 ConfigProblems problems) {
        Optional<C> config = binder.bind(provider.defaults(), provider.configType(), values, List.of(), problems);
        config.ifPresent(bound -> provider.validate(bound, problems));
        return problems.isEmpty() ? config.map(provider::create) : Optional.empty();
    }

    /** {@code --set} values as the pipeline file would hold them: {@code 4} an integer, {@code [a, b]} a list. */
    static ObjectNode settings(Map<String, String> settings) {
        ObjectNode values = JsonNodeFactory.instance.objectNode();
        settings.forEach((key, raw) -> values.set(key, yamlValue(raw)));
        return values;
    }

    private static JsonNode yamlValue(String raw) {
        try {
            JsonNode node = YAML.readTree(raw);
            return node == null || node.isMissingNode() ? JsonNodeFactory.instance.textNode(raw) : node;
        } catch (JsonProcessingException e) {
            // Not YAML (an unclosed bracket, say): the text itself, which binds wherever a string is expected.
            return JsonNodeFactory.instance.textNode(raw);
        }
    }

    private static Optional<Dataset> read(Path file, ConfigProblems problems) {
        try {
            return Optional.of(JsonlDatasetReader.read(file));
        } catch (ConfigException e) {
            for (String problem : e.problems()) {
                problems.add("--data", problem);
            }
            return Optional.empty();
        }
    }

    /** Lets the evaluator reject the rows it cannot judge, before any model is loaded. */
    private static boolean checkData(Evaluator evaluator, Dataset dataset, ConfigProblems problems) {
        try {
            evaluator.checkData(dataset);
            return true;
        } catch (ConfigException e) {
            for (String problem : e.problems()) {
                problems.add("--data", problem);
            }
            return false;
        }
    }

    private void print(List<EvaluatorResult> results, boolean json) {
        if (!json) {
            MetricLines.lines(List.of(), results).forEach(console::result);
            return;
        }
        for (EvaluatorResult result : results) {
            Map<String, Object> metrics = new LinkedHashMap<>();
            for (MetricResult metric : result.metrics()) {
                Interval interval = metric.interval();
                Map<String, Object> entry = new LinkedHashMap<>();
                Numbers.putInterval(entry, interval, true);
                metrics.put(metric.name(), entry);
            }
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("evaluator", result.id());
            line.put("data", result.data().toString());
            line.put("metrics", metrics);
            console.result(JsonLine.of(line));
        }
    }

}
