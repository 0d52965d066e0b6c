package io.finetune4j.runner.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportDocumentTest {
    private final ReportDocument doc = new ReportDocument("Run report: x")
            .add(new ReportDocument.Headline(ReportDocument.Tone.GOOD, "sft: accuracy 0.1 → 0.9"))
            .add(new ReportDocument.Table(List.of("prompt", "output"),
                    List.of(List.of("a|b", "<script>*x*</script>\nline"))))
            .add(new ReportDocument.Images(Map.of("charts/s-loss.png", "s loss")))
            .add(new ReportDocument.Code("yaml", "text: ```\n"));

    @Test
    void markdownKeepsUserTextOutOfTheMarkup() {
        String md = doc.markdown();

        assertThat(md).startsWith("# Run report: x\n\n**PASS sft: accuracy 0.1 → 0.9**\n");
        assertThat(md).contains("| prompt | output |\n| --- | --- |\n"
                + "| a\\|b | \\<script\\>\\*x\\*\\</script\\><br>line |\n");
        assertThat(md).contains("![s loss](charts/s-loss.png)");
        // A fence longer than the backticks inside keeps the code verbatim.
        assertThat(md).contains("````yaml\ntext: ```\n````\n");
    }

    @Test
    void htmlEscapesTextAndNeedsNothingButTheCharts() {
        String html = doc.html();

        assertThat(html).contains("<div class=\"headline good\">PASS sft: accuracy 0.1 → 0.9</div>");
        assertThat(html).contains("<td>&lt;script&gt;*x*&lt;/script&gt;<br>line</td>");
        assertThat(html).contains("<img src=\"charts/s-loss.png\" alt=\"s loss\">");
        assertThat(html).doesNotContain("<script>", "<link", "http");
    }

    @Test
    void forgettingChecksAreEvaluatorsOfGeneralData() {
        assertThat(MetricRows.isForgettingCheck(Path.of("data/general.jsonl"))).isTrue();
        assertThat(MetricRows.isForgettingCheck(Path.of("/x/General-Text.jsonl"))).isTrue();
        assertThat(MetricRows.isForgettingCheck(Path.of("/general/task.jsonl"))).isFalse();
    }

    @Test
    void significanceFollowsTheMetricsBetterDirection() {
        PairedComparison lowerDrop = new PairedComparison(-2, -3, -1, 0.01, Double.NaN, 20, false);
        PairedComparison higherDrop = new PairedComparison(-2, -3, -1, 0.01, Double.NaN, 20, true);
        PairedComparison notSignificant = new PairedComparison(-2, -3, 1, 0.2, Double.NaN, 20, false);

        assertThat(lowerDrop.significantlyBetter()).isTrue();
        assertThat(higherDrop.significantlyWorse()).isTrue();
        assertThat(notSignificant.significantlyBetter()).isFalse();
        assertThat(notSignificant.significantlyWorse()).isFalse();
    }
}
