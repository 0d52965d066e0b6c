package io.finetune4j.runner.review;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The review page on the JDK's HTTP server. Every request must carry the random access token as
 * {@code ?token=...}; one without it gets 403. {@code GET /} is the page, {@code GET /api/state} the next
 * unvoted item (its answers as A and B, in the item's recorded order) or, once every item is voted, the result,
 * and {@code POST /api/vote} ({@code {"item", "choice": "A|B|tie|both_bad", "comment"}}) stores a vote.
 * Which stage wrote which answer is never sent before the last vote.
 */
public final class ReviewServer implements AutoCloseable {
    private static final String PAGE = "review.html";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<ReviewItem> items;
    private final ReviewStore store;
    private final long seed;
    private final String token;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Set<Integer> voted = new LinkedHashSet<>();
    private final Map<Integer, String> winners = new LinkedHashMap<>();

    private ReviewServer(List<ReviewItem> items, ReviewStore store, long seed, HttpServer server,
                         ExecutorService executor) {
        this.items = List.copyOf(items);
        this.store = requireNonNull(store, "store is null");
        this.seed = seed;
        this.server = requireNonNull(server, "server is null");
        this.executor = requireNonNull(executor, "executor is null");
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        this.token = HexFormat.of().formatHex(random);
        for (ReviewVote vote : store.readVotes()) {
            if (voted.add(vote.item())) {
                winners.put(vote.item(), vote.winner());
            }
        }
    }

    /** Binds {@code host:port} (port 0: any free port) and starts serving. */
    public static ReviewServer start(List<ReviewItem> items, ReviewStore store, long seed, String host, int port) {
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port, e);
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "ft4j-review");
            thread.setDaemon(true);
            return thread;
        });
        ReviewServer review = new ReviewServer(items, store, seed, http, executor);
        http.createContext("/", review::handle);
        http.setExecutor(executor);
        http.start();
        return review;
    }

    /** The page's address with the access token. */
    public URI uri() {
        InetSocketAddress address = server.getAddress();
        return URI.create("http://" + address.getHostString() + ":" + address.getPort() + "/?token=" + token);
    }

    public String token() {
        return token;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!tokenMatches(exchange.getRequestURI())) {
                send(exchange, 403, "text/plain", "403: missing or wrong access token\n");
                return;
            }
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (path.equals("/") && method.equals("GET")) {
                send(exchange, 200, "text/html; charset=utf-8", page());
            } else if (path.equals("/api/state") && method.equals("GET")) {
                send(exchange, 200, "application/json", JSON.writeValueAsString(state()));
            } else if (path.equals("/api/vote") && method.equals("POST")) {
                vote(exchange);
            } else {
                send(exchange, 404, "text/plain", "404: " + method + " " + path + "\n");
            }
        } catch (RuntimeException e) {
            send(exchange, 500, "text/plain", "500: " + e.getMessage() + "\n");
        }
    }

    private void vote(HttpExchange exchange) throws IOException {
        JsonNode body;
        try (InputStream in = exchange.getRequestBody()) {
            body = JSON.readTree(in);
        } catch (IOException e) {
            send(exchange, 400, "text/plain", "400: body is not JSON\n");
            return;
        }
        int id = body.path("item").asInt(-1);
        String choice = body.path("choice").asText("");
        Optional<ReviewItem> item = items.stream().filter(candidate -> candidate.id() == id).findFirst();
        if (item.isEmpty()) {
            send(exchange, 400, "text/plain", "400: item: no item " + id + "\n");
            return;
        }
        String winner;
        try {
            winner = ReviewVote.winner(choice, item.get().aShownFirst());
        } catch (IllegalArgumentException e) {
            send(exchange, 400, "text/plain", "400: " + e.getMessage() + "\n");
            return;
        }
        synchronized (this) {
            if (voted.contains(id)) {
                send(exchange, 409, "text/plain", "409: item " + id + " is already voted\n");
                return;
            }
            store.append(new ReviewVote(id, choice, winner, body.path("comment").asText(""), Instant.now().toString()));
            voted.add(id);
            winners.put(id, winner);
        }
        send(exchange, 200, "application/json", JSON.writeValueAsString(state()));
    }

    private synchronized Map<String, Object> state() {
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("total", items.size());
        state.put("voted", voted.size());
        Optional<ReviewItem> next = items.stream().filter(item -> !voted.contains(item.id())).findFirst();
        state.put("done", next.isEmpty());
        if (next.isPresent()) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("id", next.get().id());
            item.put("prompt", next.get().prompt());
            item.put("a", next.get().left());
            item.put("b", next.get().right());
            state.put("item", item);
        } else {
            state.put("result", result());
        }
        return state;
    }

    private Map<String, Object> result() {
        ReviewStatistics statistics = ReviewStatistics.of(List.copyOf(winners.values()), seed);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("stage_a", items.isEmpty() ? "" : items.get(0).stageA());
        result.put("stage_b", items.isEmpty() ? "" : items.get(0).stageB());
        result.put("wins", statistics.wins());
        result.put("losses", statistics.losses());
        result.put("ties", statistics.ties());
        result.put("both_bad", statistics.bothBad());
        result.put("win_rate", finite(statistics.winRate()));
        result.put("low", finite(statistics.low()));
        result.put("high", finite(statistics.high()));
        result.put("sign_test_p", statistics.signTestP());
        return result;
    }

    private static Double finite(double value) {
        return Double.isFinite(value) ? value : null;
    }

    private boolean tokenMatches(URI uri) {
        String query = uri.getRawQuery();
        if (query == null) {
            return false;
        }
        for (String pair : query.split("&")) {
            int equals = pair.indexOf('=');
            if (equals > 0 && pair.substring(0, equals).equals("token")) {
                String given = URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
                // Constant time, so the token cannot be guessed a character at a time.
                return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                        token.getBytes(StandardCharsets.UTF_8));
            }
        }
        return false;
    }

    private static String page() throws IOException {
        try (InputStream in = ReviewServer.class.getResourceAsStream(PAGE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + PAGE + " is missing from the runner jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void send(HttpExchange exchange, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        store.close();
    }
}
