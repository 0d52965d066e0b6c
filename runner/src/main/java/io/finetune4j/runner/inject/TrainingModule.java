package io.finetune4j.runner.inject;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.finetune4j.api.ProgressListener;
import io.finetune4j.runner.console.Console;
import io.finetune4j.runner.eval.ProgressBarListener;

/** Training and evaluation progress: one text bar on standard error, shared by trainer and evaluators. */
public final class TrainingModule extends AbstractModule {
    @Provides
    @Singleton
    ProgressListener progress(Console console) {
        return new ProgressBarListener(console.err());
    }
}
