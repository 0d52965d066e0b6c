package io.finetune4j.runner;

import io.finetune4j.runner.cli.Ft4j;
import io.finetune4j.runner.console.Console;
import com.google.inject.Guice;
import com.google.inject.Injector;
import io.finetune4j.bench.BenchAction;
import io.finetune4j.runner.cli.Action;
import io.finetune4j.runner.cli.Ft4jCommand;
import io.finetune4j.runner.inject.CheckpointModule;
import io.finetune4j.runner.inject.ConsoleModule;
import io.finetune4j.runner.inject.EvaluationModule;
import io.finetune4j.runner.inject.PipelineModule;
import io.finetune4j.runner.inject.PluginRegistryModule;
import io.finetune4j.runner.inject.TrainingModule;
import io.finetune4j.runner.plugin.LoadedPlugins;
import io.finetune4j.runner.plugin.PluginLoader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * The {@code ft4j} command. Parses the command line, loads the plugins (before any injector exists),
 * builds the injector once, asks it for {@link Ft4j} and runs the chosen subcommand. Exit codes: 0 done,
 * 2 a user error (one paragraph on standard error), 1 a bug (with its stack trace).
 */
public final class Main {
    /** Set by the launcher to the repository or distribution root; its {@code plugins/} is the default. */
    public static final String HOME_PROPERTY = "ft4j.home";

    private final Console console;
    private final Optional<Path> home;

    public Main(PrintWriter out, PrintWriter err, Optional<Path> home) {
        this.console = new Console(out, err);
        this.home = home;
    }

    public static void main(String[] args) {
        // Before any DJL class loads: never try the network for natives or models.
        System.setProperty("ai.djl.offline", "true");
        if (Arrays.asList(args).contains("--verbose")) {
            System.setProperty("org.slf4j.simpleLogger.log.io.finetune4j", "debug");
        }
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        Optional<Path> home = Optional.ofNullable(System.getProperty(HOME_PROPERTY)).map(Path::of);
        int code = new Main(out, err, home).execute(args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs one command line; returns its exit code. */
    public int execute(String... args) {
        Ft4jCommand root = new Ft4jCommand();
        CommandLine cli = new CommandLine(root);
        cli.setOut(console.out());
        cli.setErr(console.err());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setParameterExceptionHandler(Main::usageError);
        cli.setExecutionStrategy(parsed -> executeParsed(root, parsed));
        return cli.execute(args);
    }

    private int executeParsed(Ft4jCommand root, ParseResult parsed) {
        Integer help = CommandLine.executeHelpRequest(parsed);
        if (help != null) {
            return help;
        }
        ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        Object command = leaf.commandSpec().userObject();
        Optional<Action> chosen = actionOf(command);
        if (chosen.isEmpty() && command instanceof Runnable) {
            // picocli's own commands, such as `ft4j help run`.
            return new CommandLine.RunLast().execute(parsed);
        }
        if (chosen.isEmpty()) {
            leaf.commandSpec().commandLine().usage(console.err());
            return ErrorReport.USER_ERROR;
        }
        Action action = chosen.get();
        try (LoadedPlugins plugins = PluginLoader.load(Main.class.getClassLoader(), pluginsDir(root))) {
            if (!MklShimCheck.passes(console.err())) {
                return ErrorReport.USER_ERROR; // the launcher's MKL shim gave a wrong matmul
            }
            Injector injector = Guice.createInjector(
                    new PluginRegistryModule(plugins),
                    new PipelineModule(),
                    new TrainingModule(),
                    new EvaluationModule(),
                    new CheckpointModule(root.device()),
                    new ConsoleModule(console));
            return action.run(injector.getInstance(Ft4j.class));
        } catch (Exception e) {
            return ErrorReport.report(e, console.err(), root.verbose());
        }
    }

    /**
     * The runner's own commands are {@link Action}s; the bench's take the plugin registry
     * ({@link BenchAction}); other {@code Callable} commands (demo data, generation bench) need nothing from
     * the injector but still run after the start-up checks and report errors like the rest.
     */
    private static Optional<Action> actionOf(Object command) {
        if (command instanceof Action action) {
            return Optional.of(action);
        }
        if (command instanceof BenchAction bench) {
            return Optional.of(app -> bench.run(app.bench()));
        }
        if (command instanceof Callable<?> callable) {
            return Optional.of(app -> call(callable));
        }
        return Optional.empty();
    }

    private static int call(Callable<?> command) {
        try {
            return (Integer) command.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("command failed: " + e.getMessage(), e);
        }
    }

    /** {@code --plugins-dir}, else {@code plugins/} beside the launcher when it exists, else none. */
    private Path pluginsDir(Ft4jCommand root) {
        if (root.pluginsDir() != null) {
            return root.pluginsDir();
        }
        return home.map(dir -> dir.resolve("plugins")).filter(Files::isDirectory).orElse(null);
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println("ft4j: " + e.getMessage());
        err.println("  see: " + command.getCommandSpec().qualifiedName() + " --help");
        err.flush();
        return ErrorReport.USER_ERROR;
    }
}
