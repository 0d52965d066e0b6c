package io.finetune4j.peft.bottleneck;

import static org.assertj.core.api.Assertions.assertThat;

import io.finetune4j.api.ConfigProblems;
import io.finetune4j.api.MethodProviderContract;
import io.finetune4j.api.method.MethodContext;
import io.finetune4j.peft.ia3.PeftFixtures;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BottleneckMethodProviderTest implements MethodProviderContract<BottleneckConfig> {
    @Override
    public BottleneckMethodProvider provider() {
        return new BottleneckMethodProvider();
    }

    @Override
    public Optional<MethodContext> tinyModel() {
        return Optional.of(new PeftFixtures.Context(PeftFixtures.llama(1), 3));
    }

    private static List<String> problems(BottleneckConfig config) {
        ConfigProblems problems = ConfigProblems.at("stages[0].method");
        new BottleneckMethodProvider().validate(config, problems);
        return problems.messages();
    }

    @Test
    void defaultsAreAdapterHubsSequentialBottleneck() {
        assertThat(provider().defaults()).isEqualTo(new BottleneckConfig("pfeiffer", 16, 0, ""));
        assertThat(provider().defaults().activation()).isEqualTo("relu");
        assertThat(provider().peftType()).isEmpty();
    }

    /** adapters {@code configuration/adapter_config.py}: SeqBnConfig relu, DoubleSeqBnConfig (Houlsby) swish. */
    @Test
    void defaultNonLinearityFollowsThePlacementAsAdapterHub() {
        assertThat(new BottleneckConfig("houlsby", 16, 0, "").activation()).isEqualTo("swish");
        assertThat(new BottleneckConfig("pfeiffer", 16, 0, "").activation()).isEqualTo("relu");
        assertThat(new BottleneckConfig("houlsby", 16, 0, "gelu").activation()).isEqualTo("gelu");
        assertThat(problems(new BottleneckConfig("houlsby", 16, 0, ""))).isEmpty();
    }

    @Test
    void widthComesFromTheReductionFactorUnlessGiven() {
        assertThat(new BottleneckConfig("houlsby", 16, 0, "relu").width(768)).isEqualTo(48);
        assertThat(new BottleneckConfig("houlsby", 16, 0, "relu").width(8)).isEqualTo(1);
        assertThat(new BottleneckConfig("houlsby", 16, 5, "relu").width(768)).isEqualTo(5);
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThat(problems(new BottleneckConfig("parallel", 0, -1, "tanh"))).containsExactly(
                "stages[0].method.placement: must be one of [houlsby, pfeiffer], was 'parallel'",
                "stages[0].method.reduction_factor: must be > 0, was 0",
                "stages[0].method.bottleneck_size: must be >= 0 (0 derives it from reduction_factor), was -1",
                "stages[0].method.non_linearity: must be one of [relu, gelu, silu, swish] (or empty for the placement's"
                        + " default), was 'tanh'");
    }
}
