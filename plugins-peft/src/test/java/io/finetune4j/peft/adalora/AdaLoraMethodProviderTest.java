package io.finetune4j.peft.adalora;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import io.finetune4j.api.method.MethodContext;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AdaLoraMethodProviderTest implements MethodProviderContract<AdaLoraConfig> {
    private static final AdaLoraConfig VALID = AdaLoraConfig.of(12, 8, 100, List.of("q_proj"));

    @Override
    public AdaLoraMethodProvider provider() {
        return new AdaLoraMethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new AdaLoraFixtures.Context(AdaLoraFixtures.llama(1), 3));
    }

    private static List<String> problems(AdaLoraConfig config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method");
        new AdaLoraMethodProvider().validate(config, problems);
        return problems.messages();
    }

    /**
     * Deliberately replaces the contract's check: PEFT's {@code total_step} has no default, so the defaults
     * fail on exactly that key and pass once it is given.
     */
    @Test
    @Override
    public void defaultsPassValidation() {
        assertThat(problems(provider().defaults())).containsExactly("stages[0].method.total_step: required: AdaLoRA's"
                + " rank budget schedule needs the run's total number of optimizer steps; supply a value > 0, was null");
        AdaLoraConfig defaults = provider().defaults();
        AdaLoraConfig withTotal = new AdaLoraConfig(defaults.targetR(), defaults.initR(), defaults.tinit(),
                defaults.tfinal(), defaults.deltaT(), defaults.beta1(), defaults.beta2(), defaults.orthRegWeight(), 500,
                defaults.rankPattern(), defaults.loraAlpha(), defaults.loraDropout(), defaults.targetModules(),
                defaults.excludeModules(), defaults.layersToTransform(), defaults.layersPattern(), defaults.bias(),
                defaults.initLoraWeights(), defaults.useDora());
        assertThat(problems(withTotal)).isEmpty();
    }

    /** The runner binds pipeline keys with Jackson's snake_case naming; PEFT's deltaT becomes delta_t. */
    @Test
    void pipelineKeysBindOntoTheDefaults() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper mapper = com.fasterxml.jackson.databind.json.JsonMapper.builder()
                .propertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
        com.fasterxml.jackson.databind.node.ObjectNode tree = mapper.valueToTree(provider().defaults());
        assertThat(tree.has("delta_t")).isTrue();
        tree.put("total_step", 200).put("delta_t", 10).put("init_r", 6).put("target_r", 2);
        tree.putObject("rank_pattern").putArray("model.layers.0.self_attn.q_proj.lora_E")
                .add(true).add(false).add(true).add(true).add(false).add(false);

        AdaLoraConfig bound = mapper.treeToValue(tree, AdaLoraConfig.class);

        assertThat(bound.totalStep()).isEqualTo(200);
        assertThat(bound.deltaT()).isEqualTo(10);
        assertThat(bound.rankPattern()).containsEntry("model.layers.0.self_attn.q_proj.lora_E",
                List.of(true, false, true, true, false, false));
        assertThat(problems(bound)).isEmpty();
    }

    @Test
    void defaultsArePeftsAdaLoraConfig() {
        AdaLoraConfig defaults = provider().defaults();
        assertThat(defaults.targetR()).isEqualTo(8);
        assertThat(defaults.initR()).isEqualTo(12);
        assertThat(defaults.tinit()).isZero();
        assertThat(defaults.tfinal()).isZero();
        assertThat(defaults.deltaT()).isEqualTo(1);
        assertThat(defaults.beta1()).isEqualTo(0.85);
        assertThat(defaults.beta2()).isEqualTo(0.85);
        assertThat(defaults.orthRegWeight()).isEqualTo(0.5);
        assertThat(defaults.totalStep()).isNull();
        assertThat(defaults.rankPattern()).isEmpty();
        assertThat(defaults.loraAlpha()).isEqualTo(8.0);
        assertThat(defaults.loraDropout()).isZero();
        assertThat(defaults.useDora()).isFalse();
        assertThat(provider().peftType()).contains("ADALORA");
    }

    @Test
    void rejectsAScheduleWithoutABudgetingPhase() {
        assertThat(problems(VALID.withSchedule(60, 40, 1))).containsExactly("stages[0].method.tinit: must be <"
                + " total_step - tfinal (100 - 40 = 60), was 60: the schedule leaves no budgeting phase; decrease"
                + " tfinal/tinit or increase total_step");
        assertThat(problems(VALID.withSchedule(59, 40, 1))).isEmpty();
    }

    @Test
    void rejectsInitRankBelowTargetRank() {
        assertThat(problems(AdaLoraConfig.of(4, 8, 100, List.of("q_proj"))))
                .containsExactly("stages[0].method.init_r: must be >= target_r (8), was 4");
    }

    /** PEFT v0.20 AdaLoraConfig accepts orth_reg_weight >= 0; AdaLoraModel.forward then adds 0 · penalty. */
    @Test
    void acceptsZeroOrthRegWeight() {
        AdaLoraConfig defaults = provider().defaults();
        AdaLoraConfig zero = new AdaLoraConfig(defaults.targetR(), defaults.initR(), defaults.tinit(),
                defaults.tfinal(), defaults.deltaT(), defaults.beta1(), defaults.beta2(), 0.0, 500,
                defaults.rankPattern(), defaults.loraAlpha(), defaults.loraDropout(), defaults.targetModules(),
                defaults.excludeModules(), defaults.layersToTransform(), defaults.layersPattern(), defaults.bias(),
                defaults.initLoraWeights(), defaults.useDora());
        assertThat(problems(zero)).isEmpty();
    }

    @Test
    void rejectsDora() {
        AdaLoraConfig dora = new AdaLoraConfig(8, 12, 0, 0, 1, 0.85, 0.85, 0.5, 100, Map.of(), 8.0, 0.0,
                List.of("q_proj"), List.of(), List.of(), List.of(), "none", true, true);
        assertThat(problems(dora)).containsExactly("stages[0].method.use_dora: AdaLoRA does not support DoRA (PEFT's"
                + " AdaLoraConfig rejects it too); use the lora method for DoRA");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        AdaLoraConfig bad = new AdaLoraConfig(8, 12, 0, 0, 0, 1.0, 0.0, -0.1, 0, Map.of("x.lora_E", List.of(true)), 8.0,
                1.0, List.of(), List.of(), List.of(), List.of(), "some", true, false);
        assertThat(problems(bad)).containsExactly(
                "stages[0].method.total_step: required: AdaLoRA's rank budget schedule needs the run's total number of"
                        + " optimizer steps; supply a value > 0, was 0",
                "stages[0].method.delta_t: must be >= 1, was 0",
                "stages[0].method.beta1: must be in (0, 1), was 1.0",
                "stages[0].method.beta2: must be in (0, 1), was 0.0",
                "stages[0].method.orth_reg_weight: must be >= 0 (as in PEFT), was -0.1",
                "stages[0].method.lora_dropout: must be in [0, 1), was 1.0",
                "stages[0].method.bias: must be one of [none, all, lora_only], was 'some'",
                "stages[0].method.target_modules: must name at least one module",
                "stages[0].method.rank_pattern[x.lora_E]: must list init_r (12) true/false values, was [true]");
    }
}
