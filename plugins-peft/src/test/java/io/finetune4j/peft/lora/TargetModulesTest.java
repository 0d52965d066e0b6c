package io.finetune4j.peft.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TargetModulesTest {
    private static final List<String> LLAMA = List.of(
            "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj", "model.layers.0.self_attn.v_proj",
            "model.layers.0.self_attn.o_proj", "model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj",
            "model.layers.0.mlp.down_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.k_proj",
            "model.layers.1.self_attn.v_proj", "model.layers.1.self_attn.o_proj", "model.layers.1.mlp.gate_proj",
            "model.layers.1.mlp.up_proj", "model.layers.1.mlp.down_proj", "lm_head");
    private static final List<String> GPT2 = List.of(
            "transformer.h.0.attn.c_attn", "transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_fc",
            "transformer.h.0.mlp.c_proj");

    @Test
    void matchesBySuffixOnANameBoundary() {
        Set<String> matched = new LinkedHashSet<>();

        assertThat(TargetModules.resolve(LLAMA, List.of("q_proj", "v_proj"), matched)).containsExactly(
                "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
                "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj");
        assertThat(matched).containsExactly("q_proj", "v_proj");
        assertThat(TargetModules.matches("model.layers.0.self_attn.xq_proj", "q_proj")).isFalse();
    }

    @Test
    void matchesAFullNameOrALongerSuffix() {
        assertThat(TargetModules.resolve(LLAMA, List.of("layers.1.self_attn.q_proj", "model.layers.0.mlp.up_proj"),
                new LinkedHashSet<>())).containsExactly("model.layers.0.mlp.up_proj", "model.layers.1.self_attn.q_proj");
    }

    @Test
    void gpt2CProjMatchesAttentionAndMlpProjections() {
        assertThat(TargetModules.resolve(GPT2, List.of("c_proj"), new LinkedHashSet<>()))
                .containsExactly("transformer.h.0.attn.c_proj", "transformer.h.0.mlp.c_proj");
    }

    @Test
    void defaultTargetsServeBothFamilies() {
        @SuppressWarnings("unchecked")
        List<String> defaults = (List<String>) new LoraMethodProvider().defaults().targetModules();
        Set<String> llamaMatched = new LinkedHashSet<>();
        Set<String> gpt2Matched = new LinkedHashSet<>();

        assertThat(TargetModules.resolve(LLAMA, defaults, llamaMatched)).hasSize(4);
        assertThat(llamaMatched).containsExactly("q_proj", "v_proj");
        assertThat(TargetModules.resolve(GPT2, defaults, gpt2Matched)).containsExactly("transformer.h.0.attn.c_attn");
        assertThat(gpt2Matched).containsExactly("c_attn");
    }

    @Test
    void allLinearSelectsEveryLinearButTheOutputLayer() {
        Set<String> matched = new LinkedHashSet<>();

        List<String> selected = TargetModules.resolve(LLAMA, List.of("all-linear"), matched);

        assertThat(selected).hasSize(14).doesNotContain("lm_head");
        assertThat(matched).containsExactly("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    }

    @Test
    void rejectsATargetThatMatchesNothingListingTheModules() {
        assertThatThrownBy(() -> TargetModules.resolve(LLAMA, List.of("q_proj", "qq_proj"), new LinkedHashSet<>()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("target_modules: 'qq_proj' matches no module; modules are: [q_proj, k_proj, v_proj,"
                        + " o_proj, gate_proj, up_proj, down_proj, lm_head]");
    }

    @Test
    void rejectsKnownNamesWhenNoneMatches() {
        assertThatThrownBy(() -> TargetModules.resolve(GPT2, List.of("q_proj", "v_proj"), new LinkedHashSet<>()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("target_modules: [q_proj, v_proj] match no module; modules are: [c_attn, c_proj, c_fc]");
    }
}
