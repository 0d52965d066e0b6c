package io.finetune4j.eval.bleu;

import io.finetune4j.api.eval.Metric;
import io.finetune4j.api.eval.Prediction;
import io.finetune4j.eval.generation.ResampledMetric;
import java.util.List;

/**
 * Corpus BLEU with sacreBLEU's defaults (13a tokens, case kept, n-grams up to 4, closest reference length
 * for the brevity penalty, exp smoothing), on 0-100, named {@code bleu}. Each prediction may have several
 * references. Per-example statistics are kept so a resample recomputes corpus BLEU, not a mean of
 * sentence scores. An empty prediction contributes its reference length and no n-grams.
 */
final class BleuEvaluator {
    private BleuEvaluator() {}

    static List<Metric> score(List<Prediction> predictions) {
        List<BleuStatistics> segments = predictions.stream()
                .map(p -> BleuStatistics.of(p.prediction(), p.references()))
                .toList();
        return List.of(ResampledMetric.of("bleu", segments.size(), true,
                indices -> BleuScore.corpus(segments, indices)));
    }
}
