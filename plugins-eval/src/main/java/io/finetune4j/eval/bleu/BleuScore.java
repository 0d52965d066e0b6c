package io.finetune4j.eval.bleu;

import java.util.List;

/**
 * BLEU from summed statistics, as sacreBLEU's {@code BLEU.compute_bleu} (Papineni et al. 2002), on the 0-100
 * scale. Smoothing {@code exp} (sacreBLEU's default, also for corpus BLEU): the k-th order with no match
 * gets precision {@code 100 / (2^k * total)}; an order with no hypothesis n-gram at all stops the loop and
 * leaves the remaining precisions 0, which makes BLEU 0 unless effective order is used (sentence BLEU). No
 * match of any order at all gives 0 (sacreBLEU's early stop), whatever the smoothing.
 */
public final class BleuScore {
    private BleuScore() {}

    /** Corpus BLEU of the segments at {@code indices} (repeats allowed); 0 for no segment. */
    public static double corpus(List<BleuStatistics> segments, int[] indices) {
        int[] correct = new int[BleuStatistics.MAX_ORDER];
        int[] total = new int[BleuStatistics.MAX_ORDER];
        long hypLength = 0;
        long refLength = 0;
        for (int i : indices) {
            BleuStatistics s = segments.get(i);
            hypLength += s.hypothesisLength();
            refLength += s.referenceLength();
            for (int n = 0; n < correct.length; n++) {
                correct[n] += s.correct()[n];
                total[n] += s.total()[n];
            }
        }
        return compute(correct, total, hypLength, refLength, false);
    }

    /** sacreBLEU's {@code sentence_bleu}: exp smoothing with effective order. */
    public static double sentence(String hypothesis, List<String> references) {
        BleuStatistics s = BleuStatistics.of(hypothesis, references);
        return compute(s.correct(), s.total(), s.hypothesisLength(), s.referenceLength(), true);
    }

    /** {@code compute_bleu(correct, total, sys_len, ref_len, smooth_method='exp')} on 0-100. */
    public static double compute(int[] correct, int[] total, long hypLength, long refLength, boolean effectiveOrder) {
        int maxOrder = correct.length;
        if (java.util.Arrays.stream(correct).allMatch(c -> c == 0)) {
            return 0; // sacreBLEU 2.x stops early when nothing matches (issue #141), before any smoothing
        }
        double[] precisions = new double[maxOrder];
        double smooth = 1;
        int order = maxOrder;
        for (int n = 0; n < maxOrder; n++) {
            if (total[n] == 0) {
                break;
            }
            if (effectiveOrder) {
                order = n + 1;
            }
            if (correct[n] == 0) {
                smooth *= 2;
                precisions[n] = 100.0 / (smooth * total[n]);
            } else {
                precisions[n] = 100.0 * correct[n] / total[n];
            }
        }
        double brevity = 1;
        if (hypLength < refLength) {
            brevity = hypLength > 0 ? Math.exp(1 - (double) refLength / hypLength) : 0;
        }
        double logSum = 0;
        for (int n = 0; n < order; n++) {
            if (precisions[n] == 0) {
                return 0; // sacreBLEU's my_log(0) = -9999999999: exp of it is 0
            }
            logSum += Math.log(precisions[n]);
        }
        return brevity * Math.exp(logSum / order);
    }
}
