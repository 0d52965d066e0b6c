package io.finetune4j.eval.classification;

/**
 * Counts of (gold label, predicted label) over chosen examples; predicted index {@code labels} stands for
 * "no label read". Per class: precision TP/(TP+FP) and recall TP/(TP+FN), 0 when the denominator is 0 (as
 * scikit-learn's {@code zero_division=0}); macro F1 is the unweighted mean of per-class F1 over the label
 * set; micro F1 pools TP, FP and FN over classes, and equals accuracy when every prediction is a label.
 */
final class ConfusionMatrix {
    private final int labels;
    private final long[][] counts;
    private final long total;

    private ConfusionMatrix(int labels, long[][] counts, long total) {
        this.labels = labels;
        this.counts = counts;
        this.total = total;
    }

    static ConfusionMatrix of(int labels, int[] gold, int[] predicted, int[] indices) {
        long[][] counts = new long[labels][labels + 1];
        for (int i : indices) {
            counts[gold[i]][predicted[i] < 0 ? labels : predicted[i]]++;
        }
        return new ConfusionMatrix(labels, counts, indices.length);
    }

    long count(int gold, int predicted) {
        return counts[gold][predicted < 0 ? labels : predicted];
    }

    double accuracy() {
        return total == 0 ? 0 : truePositives() / (double) total;
    }

    double precision(int label) {
        long predicted = 0;
        for (int g = 0; g < labels; g++) {
            predicted += counts[g][label];
        }
        return predicted == 0 ? 0 : counts[label][label] / (double) predicted;
    }

    double recall(int label) {
        long gold = 0;
        for (int p = 0; p <= labels; p++) {
            gold += counts[label][p];
        }
        return gold == 0 ? 0 : counts[label][label] / (double) gold;
    }

    double f1(int label) {
        double p = precision(label);
        double r = recall(label);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    double macroF1() {
        double sum = 0;
        for (int l = 0; l < labels; l++) {
            sum += f1(l);
        }
        return labels == 0 ? 0 : sum / labels;
    }

    double microF1() {
        long tp = truePositives();
        long fn = total - tp;            // every gold example not predicted right
        long fp = 0;                     // predictions of a label that were wrong ("no label" is no prediction)
        for (int g = 0; g < labels; g++) {
            for (int p = 0; p < labels; p++) {
                if (p != g) {
                    fp += counts[g][p];
                }
            }
        }
        return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp + fn);
    }

    private long truePositives() {
        long tp = 0;
        for (int l = 0; l < labels; l++) {
            tp += counts[l][l];
        }
        return tp;
    }
}
