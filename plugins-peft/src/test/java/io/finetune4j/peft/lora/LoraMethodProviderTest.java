package io.finetune4j.peft.lora;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import io.finetune4j.api.method.MethodContext;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LoraMethodProviderTest implements MethodProviderContract<LoraConfig> {
    @Override
    public LoraMethodProvider provider() {
        return new LoraMethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new TinyModels.Context(TinyModels.llama(1), 3));
    }

    private static List<String> problems(LoraConfig config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method");
        new LoraMethodProvider().validate(config, problems);
        return problems.messages();
    }

    @Test
    void defaultsArePeftDefaultsForBothFamilies() {
        assertThat(provider().defaults()).isEqualTo(new LoraConfig(8, 8.0, 0.0, List.of("q_proj", "v_proj", "c_attn")));
        assertThat(provider().peftType()).contains("LORA");
    }

    @Test
    void rejectsZeroRankAndNamesTheKey() {
        assertThat(problems(new LoraConfig(0, 16.0, 0.0, List.of("q_proj"))))
                .containsExactly("stages[0].method.r: must be > 0, was 0");
    }

    @Test
    void rejectsNonPositiveAlpha() {
        assertThat(problems(new LoraConfig(8, 0.0, 0.0, List.of("q_proj"))))
                .containsExactly("stages[0].method.lora_alpha: must be > 0, was 0.0");
    }

    @Test
    void rejectsDropoutOutsideZeroToOne() {
        assertThat(problems(new LoraConfig(8, 8.0, 1.0, List.of("q_proj"))))
                .containsExactly("stages[0].method.lora_dropout: must be in [0, 1), was 1.0");
        assertThat(problems(new LoraConfig(8, 8.0, -0.1, List.of("q_proj"))))
                .containsExactly("stages[0].method.lora_dropout: must be in [0, 1), was -0.1");
    }

    @Test
    void rejectsEmptyTargetModules() {
        assertThat(problems(new LoraConfig(8, 8.0, 0.0, List.of())))
                .containsExactly("stages[0].method.target_modules: must name at least one module");
    }

    @Test
    void rejectsABlankTarget() {
        assertThat(problems(new LoraConfig(8, 8.0, 0.0, List.of("q_proj", " "))))
                .containsExactly("stages[0].method.target_modules[1]: must not be empty");
    }

    @Test
    void rejectsAllLinearBesideOtherTargets() {
        assertThat(problems(new LoraConfig(8, 8.0, 0.0, List.of("all-linear", "q_proj"))))
                .containsExactly("stages[0].method.target_modules: 'all-linear' must be the only entry, was"
                        + " [all-linear, q_proj]");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThat(problems(new LoraConfig(0, -1.0, 2.0, List.of()))).containsExactly(
                "stages[0].method.r: must be > 0, was 0",
                "stages[0].method.lora_alpha: must be > 0, was -1.0",
                "stages[0].method.lora_dropout: must be in [0, 1), was 2.0",
                "stages[0].method.target_modules: must name at least one module");
    }

    private static List<String> problems(LoraOptions options) {
        return problems(options.build());
    }

    @Test
    void acceptsEveryPeftOptionWhenValid() {
        LoraOptions options = new LoraOptions();
        options.targets = ".*\\.(q|v)_proj";
        options.exclude = "lm_head";
        options.bias = "lora_only";
        options.rslora = true;
        options.init = "pissa_niter_16";
        options.rankPattern = java.util.Map.of("q_proj", 4);
        options.alphaPattern = java.util.Map.of("v_proj", 16.0);
        options.modulesToSave = List.of("lm_head");
        options.dora = true;

        assertThat(problems(options)).isEmpty();
    }

    @Test
    void rejectsAnUnknownBiasMode() {
        LoraOptions options = new LoraOptions();
        options.bias = "some";
        assertThat(problems(options))
                .containsExactly("stages[0].method.bias: must be one of [none, all, lora_only], was 'some'");
    }

    @Test
    void rejectsAnUnsupportedInit() {
        LoraOptions options = new LoraOptions();
        options.init = "eva"; // PEFT's data-driven EVA init is not implemented
        assertThat(problems(options)).containsExactly("stages[0].method.init_lora_weights: must be true, false,"
                + " 'gaussian', 'pissa', 'pissa_niter_<n>', 'olora', 'orthogonal' or 'loftq', was 'eva'");
        options.init = 3;
        assertThat(problems(options)).containsExactly("stages[0].method.init_lora_weights: must be true, false,"
                + " 'gaussian', 'pissa', 'pissa_niter_<n>', 'olora', 'orthogonal' or 'loftq', was 3");
    }

    @Test
    void rejectsTargetsThatAreNeitherAListNorAValidRegex() {
        LoraOptions options = new LoraOptions();
        options.targets = 8;
        assertThat(problems(options)).containsExactly(
                "stages[0].method.target_modules: must be a list of module names or a regex string, was 8");
        options.targets = "(q_proj";
        assertThat(problems(options)).singleElement().asString()
                .startsWith("stages[0].method.target_modules: is not a valid regular expression: ");
        options.targets = java.util.Arrays.asList("q_proj", null);
        assertThat(problems(options)).containsExactly("stages[0].method.target_modules[1]: must not be empty");
    }

    @Test
    void rejectsBadExcludeModules() {
        LoraOptions options = new LoraOptions();
        options.exclude = List.of("");
        assertThat(problems(options)).containsExactly("stages[0].method.exclude_modules[0]: must not be empty");
        options.exclude = "[";
        assertThat(problems(options)).singleElement().asString()
                .startsWith("stages[0].method.exclude_modules: is not a valid regular expression: ");
    }

    @Test
    void rejectsNonPositivePatternValuesNamingTheEntry() {
        LoraOptions options = new LoraOptions();
        options.rankPattern = java.util.Map.of("q_proj", 0);
        options.alphaPattern = java.util.Map.of("v_proj", -1.0);
        assertThat(problems(options)).containsExactly(
                "stages[0].method.rank_pattern[q_proj]: must be > 0, was 0",
                "stages[0].method.alpha_pattern[v_proj]: must be > 0, was -1.0");
    }

    @Test
    void rejectsLayerSelectionWithPeftsRules() {
        LoraOptions options = new LoraOptions();
        options.layers = List.of(-1);
        assertThat(problems(options)).containsExactly("stages[0].method.layers_to_transform[0]: must be >= 0, was -1");
        options.layers = List.of(0);
        options.targets = "all-linear";
        assertThat(problems(options)).containsExactly("stages[0].method.layers_to_transform: cannot be used when"
                + " target_modules is a string (a regex or all-linear); give target_modules as a list");
        options.layers = List.of();
        options.targets = List.of("q_proj");
        options.layersPattern = List.of("layers");
        assertThat(problems(options)).containsExactly("stages[0].method.layers_pattern: needs layers_to_transform");
    }

    @Test
    void rejectsABlankModuleToSave() {
        LoraOptions options = new LoraOptions();
        options.modulesToSave = List.of(" ");
        assertThat(problems(options)).containsExactly("stages[0].method.modules_to_save[0]: must not be empty");
    }
}
