package io.finetune4j.runner.cli;

import io.finetune4j.runner.review.ReviewItem;
import io.finetune4j.runner.review.ReviewServer;
import io.finetune4j.runner.review.ReviewService;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ft4j review RUN_DIR [--stages a,b] [--port P] [--prompts N] [--export-preferences FILE]}. */
@Command(name = "review", mixinStandardHelpOptions = true,
        description = "Blind A/B review of two stages' answers on a local web page; votes go to RUN_DIR/review/.")
public final class ReviewCommand implements Action {
    @Parameters(index = "0", paramLabel = "RUN_DIR", description = "A directory ft4j run wrote.")
    Path runDir;

    @Option(names = "--stages", paramLabel = "a,b",
            description = "The two stages to compare ('base': a stage's base); default: the last stage and its base.")
    String stages;

    @Option(names = "--port", paramLabel = "P", defaultValue = "0", description = "Port to listen on (default: any free one).")
    int port;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
            description = "Address to bind (default: 127.0.0.1, this machine only).")
    String host;

    @Option(names = "--prompts", paramLabel = "N", defaultValue = "20", description = "Prompts to review (default: 20).")
    int prompts;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0",
            description = "Seed of the answers' order and of the bootstrap (default: 0).")
    long seed;

    @Option(names = "--export-preferences", paramLabel = "FILE",
            description = "Write the decided votes as {\"prompt\", \"chosen\", \"rejected\"} rows and exit.")
    Path exportPreferences;

    @Override
    public int run(Ft4j app) {
        ReviewService review = app.review();
        if (exportPreferences != null) {
            review.exportPreferences(runDir, exportPreferences);
            return 0;
        }
        List<ReviewItem> items = review.items(runDir, Optional.ofNullable(stages), prompts, seed);
        ReviewServer server = review.serve(runDir, items, seed, host, port);
        try {
            // Serves until the process is stopped; every vote is already on the disk.
            new CountDownLatch(1).await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            server.close();
        }
        return 0;
    }
}
