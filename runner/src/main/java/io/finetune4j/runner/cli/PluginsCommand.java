package io.finetune4j.runner.cli;

import picocli.CommandLine.Command;

/** {@code ft4j plugins}. */
@Command(name = "plugins", mixinStandardHelpOptions = true,
        description = "List every method, objective and evaluator: id, kind, version and bundle.")
public final class PluginsCommand implements Action {
    @Override
    public int run(Ft4j app) {
        app.plugins().print();
        return 0;
    }
}
