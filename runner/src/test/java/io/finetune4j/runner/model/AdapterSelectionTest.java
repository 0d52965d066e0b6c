package io.finetune4j.runner.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Parsing of {@code --adapter [NAME=]DIR}, {@code --active}, {@code --combine}, {@code --combination}, {@code --no-adapter}. */
class AdapterSelectionTest {
    private static AdapterLoader.Selection parse(List<String> adapters, String active, String combine,
                                                 String combination, boolean none) {
        return AdapterLoader.Selection.parse(adapters, active, combine, combination, none);
    }

    @Test
    void anUnnamedAdapterIsPeftsDefault() {
        AdapterLoader.Selection selection = parse(List.of("runs/x=1/adapter"), null, null, null, false);

        assertThat(selection.adapters()).containsExactly(Map.entry("default", Path.of("runs/x=1/adapter")));
        assertThat(selection.active()).contains("default");
    }

    @Test
    void namedAdaptersKeepTheirOrderAndTheFirstIsActive() {
        AdapterLoader.Selection selection = parse(List.of("math=/a", "chat=/b"), null, null, null, false);

        assertThat(selection.adapters().keySet()).containsExactly("math", "chat");
        assertThat(selection.active()).contains("math");
        assertThat(parse(List.of("math=/a", "chat=/b"), "chat", null, null, false).active()).contains("chat");
    }

    @Test
    void combineReadsSignedWeightsInOrderAndDefaultsToLinear() {
        AdapterLoader.Selection selection = parse(List.of("a=/a", "b=/b"), null, "b=-0.25, a=1.5e0", null, false);

        assertThat(selection.combine()).containsExactly(Map.entry("b", -0.25), Map.entry("a", 1.5));
        assertThat(selection.combination()).isEqualTo("linear");
        assertThat(selection.active()).isEmpty();
        assertThat(parse(List.of("a=/a"), null, "a=1", "svd", false).combination()).isEqualTo("svd");
    }

    @Test
    void rejectsAnUnknownCombinationAndNamesTheChoices() {
        assertThatThrownBy(() -> parse(List.of("a=/a"), null, "a=1", "tie", false))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--combination: must be one of [linear, cat, svd, ties, dare_linear, dare_ties, "
                        + "magnitude_prune, ties_svd, dare_linear_svd, dare_ties_svd, magnitude_prune_svd], was 'tie'");
    }

    @Test
    void rejectsWeightsForUnknownOrRepeatedAdapters() {
        assertThatThrownBy(() -> parse(List.of("a=/a"), null, "b=1", null, false))
                .hasMessage("--combine: no adapter named 'b'; given: [a]");
        assertThatThrownBy(() -> parse(List.of("a=/a"), null, "a=1,a=2", null, false))
                .hasMessage("--combine: adapter 'a' is weighted twice");
        assertThatThrownBy(() -> parse(List.of("a=/a"), null, "a=NaN", null, false))
                .hasMessage("--combine: 'a=NaN' is not NAME=WEIGHT (e.g. --combine a=0.7,b=0.3)");
    }

    @Test
    void activeAndCombineExcludeEachOther() {
        assertThatThrownBy(() -> parse(List.of("a=/a"), "a", "a=1", null, false))
                .hasMessage("--active: excludes --combine (the combination is the active adapter)");
        assertThatThrownBy(() -> parse(List.of("a=/a"), null, "a=1", null, true))
                .hasMessage("--no-adapter: runs the bare base model; it excludes --combine");
    }

    @Test
    void noAdapterOrNoneGivenSelectsNothingAndOneAdapterIsNotSeveral() {
        AdapterLoader.Selection one = parse(List.of("a=/x"), null, null, null, false);
        assertThat(one.active()).contains("a");
        assertThat(one.severalAdapters()).isFalse();
        AdapterLoader.Selection none = parse(List.of("a=/x"), null, null, null, true);
        assertThat(none.disabled()).isTrue();
        assertThat(none.active()).isEqualTo(Optional.empty());
        assertThat(parse(List.of(), null, null, null, false).active()).isEqualTo(Optional.empty());
        assertThat(parse(List.of("a=/x", "b=/y"), "b", null, null, false).severalAdapters()).isTrue();
        assertThat(parse(List.of("a=/x"), null, "a=0.5", null, false).severalAdapters()).isTrue();
    }
}
