package io.finetune4j.peft.adalora;

import static io.finetune4j.peft.adalora.AdaLoraFixtures.adalora;
import static io.finetune4j.peft.adalora.AdaLoraFixtures.logits;
import static io.finetune4j.peft.adalora.AdaLoraFixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.api.model.CausalLM;
import io.finetune4j.runtime.io.SafetensorsReader;
import io.finetune4j.runtime.train.Trainer;
import io.finetune4j.runtime.train.TrainingConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short run of the real trainer: the hooks prune ranks, the loss falls, the base stays, files round-trip. */
class AdaLoraTrainingTest {
    private static final int STEPS = 12;
    // 4 modules (q_proj, v_proj in 2 layers) × init_r 4 = 16 triplets, target 4 × 2 = 8;
    // warm-up 2 steps, budgeting to step 12 − 3 = 9, then the final pattern is kept for 3 steps.
    private static final AdaLoraConfig CONFIG = AdaLoraConfig.of(4, 2, STEPS, List.of("q_proj", "v_proj"))
            .withSchedule(2, 3, 1);

    private static double loss(CausalLM model, AdaLoraFixtures.NextToken objective) {
        try (NDManager scope = model.manager().newSubManager()) {
            return objective.compute(List.of(0, 1, 2, 3), scope).loss().getFloat();
        }
    }

    @Test
    void trainingPrunesToTheTargetBudgetLowersTheLossAndRoundTrips(@TempDir Path dir) throws Exception {
        float[] trainedLogits;
        Map<String, List<Boolean>> pattern;
        try (CausalLM model = AdaLoraFixtures.llama(21)) {
            AdaLoraMethod method = adalora(model, CONFIG);
            Map<String, float[]> base = snapshot(model.parameters());
            AdaLoraFixtures.NextToken objective = new AdaLoraFixtures.NextToken(model, 4, 22);
            double before = loss(model, objective);
            TrainingConfig training = new TrainingConfig(1, STEPS, 2, 1, 0.02, 0.0, 0.9, 0.999, 1e-8, 0, "constant",
                    1.0, 1, 23);
            // logging every step: the sink runs after each step's afterStep hook
            List<Map<String, List<Boolean>>> patterns = new java.util.ArrayList<>();

            new Trainer(training, ProgressListener.NONE, (stage, step, values) -> patterns.add(method.rankPattern()),
                    "adalora").fit(method, objective);

            assertThat(patterns).hasSize(STEPS);
            // global step g = step - 1; no masking while g <= tinit = 2
            assertThat(patterns.subList(0, 3)).allMatch(Map::isEmpty);
            // budgeting: int(8 · (1 − (g − 2)/7)³ + 8) for g = 3..8, by hand: 13, 10, 9, 8, 8, 8
            int[] budgets = {13, 10, 9, 8, 8, 8};
            for (int g = 3; g <= 8; g++) {
                assertThat(kept(patterns.get(g))).as("triplets kept after global step %d", g).isEqualTo(budgets[g - 3]);
            }
            // g = total_step − tfinal = 9: the final mask at the target budget, then kept fixed
            assertThat(kept(patterns.get(9))).isEqualTo(8);
            assertThat(patterns.get(10)).isEqualTo(patterns.get(9));
            assertThat(patterns.get(11)).isEqualTo(patterns.get(9));

            assertThat(loss(model, objective)).isLessThan(before);
            assertThat(snapshot(model.parameters())).allSatisfy((name, values) ->
                    assertThat(values).as(name).containsExactly(base.get(name)));
            // the final allocation keeps exactly target_r · modules triplets, and their E are the only non-zero ones
            pattern = method.rankPattern();
            assertThat(pattern).hasSize(4);
            assertThat(method.ranks().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(8);
            method.layers().forEach((name, layer) -> {
                float[] e = layer.loraE().toFloatArray();
                List<Boolean> kept = pattern.get(name + ".lora_E");
                for (int i = 0; i < e.length; i++) {
                    if (!kept.get(i)) {
                        assertThat(e[i]).as("%s E[%d]", name, i).isZero();
                    }
                }
            });
            trainedLogits = logits(model);
            method.saveAdapter(dir, "tiny");
        }

        JsonNode json = new ObjectMapper().readTree(Files.readString(dir.resolve("adapter_config.json")));
        assertThat(json.path("peft_type").asText()).isEqualTo("ADALORA");
        assertThat(json.path("task_type").asText()).isEqualTo("CAUSAL_LM");
        assertThat(json.path("total_step").asInt()).isEqualTo(STEPS);
        Map<String, Integer> keptPerModule = new LinkedHashMap<>();
        pattern.forEach((key, mask) -> keptPerModule.put(key, (int) mask.stream().filter(Boolean::booleanValue).count()));
        keptPerModule.forEach((key, kept) -> assertThat(json.path("rank_pattern").path(key).size()).isEqualTo(4));
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve("adapter_model.safetensors"))) {
            keptPerModule.forEach((key, kept) -> {
                String module = "base_model.model." + key.substring(0, key.length() - ".lora_E".length());
                // PEFT's resize_state_dict_by_rank_pattern: only the kept triplets are written
                assertThat(reader.info(module + ".lora_A").orElseThrow().shape().get(0)).isEqualTo((long) kept);
                assertThat(reader.info(module + ".lora_E").orElseThrow().shape().get(0)).isEqualTo((long) kept);
                assertThat(reader.info(module + ".lora_B").orElseThrow().shape().get(1)).isEqualTo((long) kept);
            });
        }

        // into modules created at init_r (the kept rows go back in place, the others stay zero) ...
        try (CausalLM model = AdaLoraFixtures.llama(21)) {
            AdaLoraMethod method = adalora(model, CONFIG);
            method.loadAdapter(dir);
            assertClose(logits(model), trainedLogits);
            assertThat(method.rankPattern()).isEqualTo(pattern);
        }
        // ... and into modules created at the kept ranks, as PEFT's loader resizes them (ranknum stays init_r),
        // from the settings bound out of adapter_config.json as the runner's AdapterLoader binds them
        AdaLoraConfig fromFile = bindLikeTheRunner(json);
        assertThat(fromFile.rankPattern()).isEqualTo(pattern);
        assertThat(fromFile.withRankPattern(Map.of())).isEqualTo(CONFIG);
        try (CausalLM model = AdaLoraFixtures.llama(21)) {
            AdaLoraMethod method = adalora(model, fromFile);
            assertThat(method.trainableParameterCount()).isEqualTo(keptPerModule.values().stream()
                    .mapToInt(Integer::intValue).sum() * (8 + 1) + sumOfKeptTimesOut(method, keptPerModule));
            method.loadAdapter(dir);
            assertClose(logits(model), trainedLogits);
        }
    }

    /** Known, non-null keys laid over the defaults with snake_case naming (runner's ConfigBinder + AdapterLoader). */
    private static AdaLoraConfig bindLikeTheRunner(JsonNode json) throws Exception {
        ObjectMapper mapper = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                .propertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE).build();
        com.fasterxml.jackson.databind.node.ObjectNode merged = mapper.valueToTree(new AdaLoraMethodProvider().defaults());
        json.fields().forEachRemaining(entry -> {
            if (merged.has(entry.getKey()) && !entry.getValue().isNull()) {
                merged.set(entry.getKey(), entry.getValue());
            }
        });
        AdaLoraConfig config = mapper.treeToValue(merged, AdaLoraConfig.class);
        io.finetune4j.api.ConfigProblems problems = io.finetune4j.api.ConfigProblems.at("adapter_config.json");
        new AdaLoraMethodProvider().validate(config, problems);
        assertThat(problems.messages()).isEmpty();
        return config;
    }

    private static long kept(Map<String, List<Boolean>> pattern) {
        return pattern.values().stream().flatMap(List::stream).filter(Boolean::booleanValue).count();
    }

    private static int sumOfKeptTimesOut(AdaLoraMethod method, Map<String, Integer> kept) {
        int sum = 0;
        for (Map.Entry<String, SvdLinear> layer : method.layers().entrySet()) {
            sum += kept.get(layer.getKey() + ".lora_E") * layer.getValue().outFeatures();
        }
        return sum;
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat(actual[i]).as("logit %d", i).isCloseTo(expected[i], within(1e-5f));
        }
    }
}
