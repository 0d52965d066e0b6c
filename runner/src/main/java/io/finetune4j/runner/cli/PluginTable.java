package io.finetune4j.runner.cli;

import io.finetune4j.runner.console.Console;
import static java.util.Objects.requireNonNull;

import io.finetune4j.runner.plugin.LoadedPlugins;
import io.finetune4j.runner.plugin.PluginInfo;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** {@code ft4j plugins}: every registered provider as a table of id, kind, version and bundle. */
public final class PluginTable {
    private final LoadedPlugins plugins;
    private final Console console;

    @Inject
    public PluginTable(LoadedPlugins plugins, Console console) {
        this.plugins = requireNonNull(plugins, "plugins is null");
        this.console = requireNonNull(console, "console is null");
    }

    public void print() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "KIND", "VERSION", "BUNDLE"});
        plugins.all().stream()
                .sorted(Comparator.comparing(PluginInfo::kind).thenComparing(PluginInfo::id))
                .forEach(info -> rows.add(new String[] {info.id(), info.kind().label(), info.version(), info.bundle()}));
        int[] widths = new int[4];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
            }
            console.result(line.toString());
        }
        if (plugins.all().isEmpty()) {
            console.status("no plugins found");
        }
    }
}
