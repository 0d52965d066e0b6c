package io.finetune4j.runner.review;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The review page's HTTP side, with hand-made items: token, vote round trip, stored votes, export. */
class ReviewServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path runDir;

    private static List<ReviewItem> items() {
        return List.of(
                new ReviewItem(0, "second", "first", "1+1=", "2", "11", true, 0),
                new ReviewItem(1, "second", "first", "2+2=", "4", "22", false, 1),
                new ReviewItem(2, "second", "first", "3+3=", "6", "33", true, 2));
    }

    private ReviewServer start() {
        ReviewStore store = new ReviewStore(runDir);
        if (!store.hasAnswers()) {
            store.writeAnswers(items());
        }
        return ReviewServer.start(store.readAnswers(), store, 0, "127.0.0.1", 0);
    }

    private HttpResponse<String> get(URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> vote(ReviewServer server, int item, String choice, String comment) throws Exception {
        String body = JSON.writeValueAsString(java.util.Map.of("item", item, "choice", choice, "comment", comment));
        return http.send(HttpRequest.newBuilder(server.uri().resolve("/api/vote?token=" + server.token()))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode state(ReviewServer server) throws Exception {
        return JSON.readTree(get(server.uri().resolve("/api/state?token=" + server.token())).body());
    }

    @Test
    void requestsWithoutTheTokenAreForbidden() throws Exception {
        try (ReviewServer server = start()) {
            assertThat(get(server.uri().resolve("/")).statusCode()).isEqualTo(403);
            assertThat(get(server.uri().resolve("/api/state")).statusCode()).isEqualTo(403);
            assertThat(get(server.uri().resolve("/api/state?token=" + server.token() + "0")).statusCode())
                    .isEqualTo(403);
            assertThat(get(server.uri()).statusCode()).isEqualTo(200);
            assertThat(get(server.uri()).body()).contains("A better", "B better", "Tie", "Both bad");
        }
    }

    @Test
    void votesAreStoredAsStageWinnersAndHideTheStagesUntilTheEnd() throws Exception {
        try (ReviewServer server = start()) {
            JsonNode first = state(server);
            assertThat(first.path("item").path("id").asInt()).isZero();
            assertThat(first.path("item").path("a").asText()).isEqualTo("2");
            assertThat(first.toString()).doesNotContain("second", "first");

            assertThat(vote(server, 0, "A", "right answer").statusCode()).isEqualTo(200);
            // Item 1 shows b's answer as A: "A" there is a vote for stage b.
            JsonNode second = JSON.readTree(vote(server, 1, "A", "").body());
            assertThat(second.path("voted").asInt()).isEqualTo(2);
            assertThat(vote(server, 1, "B", "").statusCode()).isEqualTo(409);
            JsonNode done = JSON.readTree(vote(server, 2, "tie", "").body());

            assertThat(done.path("done").asBoolean()).isTrue();
            assertThat(done.path("result").path("stage_a").asText()).isEqualTo("second");
            assertThat(done.path("result").path("wins").asInt()).isEqualTo(1);
            assertThat(done.path("result").path("losses").asInt()).isEqualTo(1);
            assertThat(done.path("result").path("ties").asInt()).isEqualTo(1);
        }
        List<String> lines = Files.readAllLines(runDir.resolve("review/votes.jsonl"));
        assertThat(lines).hasSize(3);
        JsonNode line = JSON.readTree(lines.get(0));
        assertThat(line.path("item").asInt()).isZero();
        assertThat(line.path("choice").asText()).isEqualTo("A");
        assertThat(line.path("winner").asText()).isEqualTo("a");
        assertThat(line.path("comment").asText()).isEqualTo("right answer");
        assertThat(JSON.readTree(lines.get(1)).path("winner").asText()).isEqualTo("b");
    }

    @Test
    void aRestartedReviewSkipsVotedItemsAndDropsATornLine() throws Exception {
        try (ReviewServer server = start()) {
            vote(server, 0, "B", "");
        }
        Files.writeString(runDir.resolve("review/votes.jsonl"), "{\"item\": 1, \"cho", java.nio.file.StandardOpenOption.APPEND);
        try (ReviewServer server = start()) {
            assertThat(state(server).path("item").path("id").asInt()).isEqualTo(1);
            assertThat(state(server).path("voted").asInt()).isEqualTo(1);
        }
    }

    @Test
    void exportWritesDecidedVotesAsPreferenceRows() throws Exception {
        try (ReviewServer server = start()) {
            vote(server, 0, "A", "");
            vote(server, 1, "A", "");
            vote(server, 2, "both_bad", "");
        }
        Path file = runDir.resolve("prefs.jsonl");

        int rows = new ReviewStore(runDir).exportPreferences(file);

        assertThat(rows).isEqualTo(2);
        assertThat(Files.readAllLines(file)).containsExactly(
                "{\"prompt\":\"1+1=\",\"chosen\":\"2\",\"rejected\":\"11\"}",
                "{\"prompt\":\"2+2=\",\"chosen\":\"22\",\"rejected\":\"4\"}");
    }
}
