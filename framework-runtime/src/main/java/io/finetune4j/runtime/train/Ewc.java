package io.finetune4j.runtime.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.finetune4j.api.objective.Objective;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The EWC penalty of {@link EwcConfig}. The Fisher is the diagonal empirical Fisher of the stage objective's
 * loss at the starting values, {@code F = 1/N Σ_n (∂ℓ_n/∂θ)²} over {@code N = min(fisher_rows, examples)}
 * examples scored one at a time (as the EWC reference implementations for language models do, with the
 * per-example loss in place of the log-likelihood of a sampled label). Both {@code θ0} and {@code F} are plain
 * copies in {@code owner}, never recorded by autograd.
 */
final class Ewc {
    private final List<NDArray> parameters;
    private final List<NDArray> start;
    private final List<NDArray> fisher;
    private final double lambda;

    private Ewc(List<NDArray> parameters, List<NDArray> start, List<NDArray> fisher, double lambda) {
        this.parameters = parameters;
        this.start = start;
        this.fisher = fisher;
        this.lambda = lambda;
    }

    /** Builds the penalty from given {@code θ0} and {@code F} (tests). */
    static Ewc of(List<NDArray> parameters, List<NDArray> start, List<NDArray> fisher, double lambda) {
        return new Ewc(parameters, start, fisher, lambda);
    }

    /** Estimates {@code F} at the parameters' current values; leaves their gradients dirty (zeroed every step). */
    static Ewc estimate(EwcConfig config, Objective objective, List<NDArray> parameters, long seed, NDManager owner) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < objective.exampleCount(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed));
        List<Integer> rows = order.subList(0, Math.min(config.fisherRows(), order.size()));
        List<NDArray> start = new ArrayList<>();
        List<NDArray> fisher = new ArrayList<>();
        for (NDArray parameter : parameters) {
            NDArray copy = parameter.stopGradient().duplicate();
            copy.attach(owner);
            start.add(copy);
            NDArray zeros = owner.zeros(parameter.getShape(), parameter.getDataType());
            fisher.add(zeros);
        }
        for (int row : rows) {
            try (NDManager scope = owner.newSubManager()) {
                for (NDArray parameter : parameters) {
                    try (NDArray gradient = parameter.getGradient()) {
                        gradient.subi(gradient);
                    }
                }
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    collector.backward(objective.compute(List.of(row), scope).loss());
                }
                for (int i = 0; i < parameters.size(); i++) {
                    try (NDArray gradient = parameters.get(i).getGradient()) {
                        fisher.get(i).addi(gradient.square());
                    }
                }
            }
        }
        NDArray count = owner.create((float) rows.size());
        fisher.forEach(values -> values.divi(count));
        return new Ewc(parameters, start, fisher, config.lambda());
    }

    /** The estimated diagonal Fisher, one array per parameter (tests). */
    List<NDArray> fisher() {
        return fisher;
    }

    /** {@code λ/2 Σ F (θ − θ0)²}, a scalar in {@code scope}, recorded for autograd through {@code θ}. */
    NDArray penalty(NDManager scope) {
        NDArray total = scope.zeros(new Shape());
        for (int i = 0; i < parameters.size(); i++) {
            NDArray difference = parameters.get(i).sub(start.get(i)); // joins the parameter's manager: move it
            difference.attach(scope);
            total = total.add(difference.square().mul(fisher.get(i)).sum());
        }
        // An array factor, never mul(Number): autograd keeps the scalar (STACK.md).
        return total.mul(scope.create((float) (lambda / 2)));
    }
}
