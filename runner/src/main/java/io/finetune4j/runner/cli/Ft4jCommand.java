package io.finetune4j.runner.cli;

import io.finetune4j.bench.BenchCommand;
import io.finetune4j.bench.GenerationBenchCommand;
import io.finetune4j.bench.PreferenceBenchCommand;
import io.finetune4j.demo.DemoDataCommand;
import io.finetune4j.runner.model.DeviceChoice;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code ft4j}: the root command and its global options, which every subcommand accepts too. */
@Command(name = "ft4j",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Fine-tune and align language models on the JVM.",
        subcommands = {RunCommand.class, ValidateCommand.class, InspectDataCommand.class, GenerateCommand.class, ScoreCommand.class, EvalCommand.class, MergeCommand.class,
                ExportCommand.class, ParityCommand.class, ReviewCommand.class,
                GenerationBenchCommand.class, PluginsCommand.class, MetricsCommand.class, BenchCommand.class,
                PreferenceBenchCommand.class, DemoDataCommand.class, HelpCommand.class})
public final class Ft4jCommand {
    @Option(names = "--plugins-dir", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Directory of plugin bundles (*.jar or directories of jars); "
                    + "default: plugins/ beside the launcher, if it exists.")
    Path pluginsDir;

    @Option(names = "--device", paramLabel = "auto|cpu|gpu", scope = ScopeType.INHERIT,
            description = "Where models run; auto uses a GPU when the engine sees one (default: auto).")
    DeviceChoice device = DeviceChoice.AUTO;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "Log plugin registration and other details; print stack traces of user errors.")
    boolean verbose;

    public Path pluginsDir() {
        return pluginsDir;
    }

    public DeviceChoice device() {
        return device;
    }

    public boolean verbose() {
        return verbose;
    }
}
