package io.finetune4j.runner.inject;

import com.google.inject.AbstractModule;
import io.finetune4j.runner.eval.BootstrapCi;
import io.finetune4j.runner.eval.EvaluationLoop;

/** Evaluation: 95% percentile bootstrap intervals from 1000 seeded resamples of the examples. */
public final class EvaluationModule extends AbstractModule {
    static final int RESAMPLES = 1000;
    static final double CONFIDENCE = 0.95;

    @Override
    protected void configure() {
        bind(BootstrapCi.class).toInstance(new BootstrapCi(RESAMPLES, CONFIDENCE));
        bind(EvaluationLoop.class);
    }
}
