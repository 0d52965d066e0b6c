package io.finetune4j.bench;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.finetune4j.api.ConfigException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCommandTest {
    @Test
    void rejectsImpossibleShapesBeforeBuildingAnything() {
        BenchCommand command = new BenchCommand(new ClassPathBenchPlugins());
        new CommandLine(command).parseArgs("--hidden", "100", "--heads", "8", "--seq", "1", "--steps", "0");

        assertThatThrownBy(command::call).isInstanceOf(ConfigException.class).hasMessage("""
                3 problems:
                  1. --hidden: must be a multiple of --heads (8), was 100
                  2. --steps: must be > 0, was 0
                  3. --seq: must be >= 2 (the last position has no label), was 1""");
    }
}
