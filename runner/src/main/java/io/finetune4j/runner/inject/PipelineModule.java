package io.finetune4j.runner.inject;

import com.google.inject.AbstractModule;
import com.google.inject.Scopes;
import io.finetune4j.runner.config.ConfigBinder;
import io.finetune4j.runner.config.PipelineParser;
import io.finetune4j.runner.pipeline.PipelineRunner;
import io.finetune4j.runner.pipeline.StageFiles;
import io.finetune4j.runner.pipeline.StageRunner;
import java.time.Clock;

/** Pipeline files and stages: parsing, binding plugin settings, running and recording stages. */
public final class PipelineModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(ConfigBinder.class).in(Scopes.SINGLETON);
        bind(PipelineParser.class);
        bind(PipelineRunner.class);
        bind(StageRunner.class);
        bind(StageFiles.class);
        // Names the default run directory runs/<name>-<yyyyMMdd-HHmmss>.
        bind(Clock.class).toInstance(Clock.systemDefaultZone());
    }
}
